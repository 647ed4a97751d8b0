from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("decision/<int:pk>/request/", views.request_review, name="request"),
    path("decision/<int:pk>/review/", views.submit_review, name="submit"),
    path("log/<str:key>/policy/", views.policy, name="policy"),
]

from django.urls import path

from . import views

app_name = "preferences"

urlpatterns = [
    path("", views.page, name="page"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

from django.urls import path

from . import views

app_name = "comments"

urlpatterns = [
    path("<str:kind>/<int:pk>/", views.thread, name="thread"),
    path("comment/<int:pk>/edit/", views.edit, name="edit"),
    path("comment/<int:pk>/hide/", views.hide, name="hide"),
]

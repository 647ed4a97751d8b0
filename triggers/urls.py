from django.urls import path

from . import views

app_name = "triggers"

urlpatterns = [
    path("", views.index, name="index"),
]

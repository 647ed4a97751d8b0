from django.urls import path

from . import views

app_name = "calendar"

urlpatterns = [
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("regenerate/", views.regenerate, name="regenerate"),
    path("revoke/", views.revoke, name="revoke"),
]

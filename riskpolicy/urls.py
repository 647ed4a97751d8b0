from django.urls import path

from . import views

app_name = "riskpolicy"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("capacities/", views.capacity, name="capacity"),
    path("reviews/", views.queue, name="queue"),
    path("reviews/<int:pk>/", views.reviewed, name="reviewed"),
]

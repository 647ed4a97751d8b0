from django.urls import path

from . import views

app_name = "adr"

urlpatterns = [
    path("", views.decision_list, name="decision-list"),
    path("logs/", views.log_list, name="log-list"),
    path("logs/<str:key>/", views.log_detail, name="log-detail"),
    path("<str:key>-<int:number>/", views.decision_detail, name="decision-detail"),
]

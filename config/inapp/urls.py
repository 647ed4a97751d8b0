from django.urls import path

from . import views

app_name = "inapp"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("read-all/", views.mark_all_read, name="read-all"),
]

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/resend/", views.resend, name="resend"),
]

from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="resend"),
    path("<str:key>/", views.log_channels, name="log"),
    path("<str:key>/<int:pk>/test/", views.channel_test, name="test"),
    path("<str:key>/<int:pk>/active/", views.channel_active, name="active"),
]

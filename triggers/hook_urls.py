"""POST /hooks/<trigger-uuid>/ — signed webhook calls (no session or CSRF: the HMAC is the auth)."""

from django.urls import path

from .views import webhook

app_name = "hooks"

urlpatterns = [
    path("<uuid:uuid>/", webhook.receive, name="trigger"),
]

"""POST /hooks/<trigger-uuid>/ — signed webhook calls (no session or CSRF: the HMAC is the auth)."""

from django.urls import path

from . import webhooks

app_name = "hooks"

urlpatterns = [
    path("<uuid:uuid>/", webhooks.receive, name="trigger"),
]

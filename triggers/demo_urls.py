"""A small JSON endpoint the demo's metric trigger polls (only in demo mode)."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import path
from django.utils import timezone


def legacy_frontend_usage(request):
    if not settings.LEDGER_DEMO_MODE:
        raise Http404("Demo mode is off.")
    # A made-up but plausible number: the legacy frontend's daily users, slowly falling.
    day = timezone.localdate()
    users = max(0, 180 - (day.toordinal() % 150))
    return JsonResponse({"date": day.isoformat(), "legacy_frontend": {"daily_users": users}})


app_name = "demo"

urlpatterns = [
    path("legacy-frontend-usage.json", legacy_frontend_usage, name="legacy-frontend-usage"),
]

"""A small JSON endpoint the demo's metric trigger polls (only in demo mode)."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import path

from config.clock import ledger_today


def legacy_frontend_usage(request):
    if not settings.LEDGER_DEMO_MODE:
        raise Http404("Demo mode is off.")
    # A made-up but plausible number, deterministic and well above the demo threshold
    # (50), so a fresh `make run` does not fire the metric by itself; lower the
    # trigger's threshold above it (e.g. < 200) to watch it fire on the next sweep.
    day = ledger_today()
    users = 120 + (day.toordinal() % 7) * 3
    return JsonResponse({"date": day.isoformat(), "legacy_frontend": {"daily_users": users}})


app_name = "demo"

urlpatterns = [
    path("legacy-frontend-usage.json", legacy_frontend_usage, name="legacy-frontend-usage"),
]

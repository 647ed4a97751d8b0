"""A test-only URLconf: the real site plus views that fail on purpose (forced 400/500)."""

from django.core.exceptions import SuspiciousOperation
from django.urls import path

from config.urls import urlpatterns as site_patterns

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"


def boom(request):
    raise RuntimeError("forced failure for the error-page test")


def suspicious(request):
    raise SuspiciousOperation("forced bad request for the error-page test")


urlpatterns = [
    path("boom/", boom),
    path("accounts/login/boom/", boom),
    path("suspicious/", suspicious),
    *site_patterns,
]

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils import timezone

# Paths an anonymous visitor may reach: the login and password-reset pages, static
# files, the API (which answers 401/403 itself), webhook receivers (authenticated by
# HMAC), calendar feeds (authenticated by their secret token; config.calendar.views.feed)
# and one-click unsubscribe links (signed).
PUBLIC_PREFIXES = (
    "/accounts/login/",
    "/accounts/password-reset/",
    "/static/",
    "/api/",
    "/hooks/",
    "/demo/",
    "/healthz",
    "/calendar/feed/",
    "/preferences/unsubscribe/",
)


class LoginRequiredMiddleware:
    """Anonymous users see nothing but the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show times in the viewer's own time zone (stored instants stay UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = getattr(getattr(request, "user", None), "time_zone", "")
        try:
            if zone:
                timezone.activate(ZoneInfo(zone))
            else:
                timezone.deactivate()
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

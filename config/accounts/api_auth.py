from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken

# How stale a token's "last used" may be: it is written at most once per interval.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer dl_…` (or `Token dl_…`); the token is looked up by its SHA-256."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        now = timezone.now()
        # "Last used" to the nearest few minutes: no write on every API request.
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request.auth_method = "api-token"
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

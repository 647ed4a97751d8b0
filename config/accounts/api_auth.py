from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken


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
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request.auth_method = "api-token"
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

"""Writes for accounts: per-user API tokens (stored as SHA-256, shown once), preferences,
and the password-reset throttle."""

from __future__ import annotations

import enum
import functools
import zoneinfo
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from config.history import tracked_save

from .models import ApiToken, PasswordResetRequest

if TYPE_CHECKING:
    from config.accounts.models import User

MAX_ACTIVE_TOKENS = 20


@functools.cache
def time_zone_choices() -> tuple[str, ...]:
    """The zone names this system knows (read from disk once per process)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@transaction.atomic
def user_set_time_zone(*, user: User, time_zone: str) -> User:
    """Set the zone the user's pages show times in ('' = the server's TIME_ZONE)."""
    time_zone = (time_zone or "").strip()
    if time_zone and time_zone not in time_zone_choices():
        raise ValidationError({"time_zone": f"Unknown time zone {time_zone[:64]!r}."})
    if user.time_zone != time_zone:
        user.time_zone = time_zone
        tracked_save(user, actor=user, reason="time zone changed", update_fields=["time_zone"])
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns (token, raw): raw is never stored, show it once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the pipeline that uses it."})
    if "\x00" in name:  # PostgreSQL text cannot hold it
        raise ValidationError({"name": "The name cannot contain NUL characters."})
    if not user.is_active:
        raise PermissionDenied("Inactive accounts cannot create tokens.")
    if user.api_tokens.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use."
        )
    raw = ApiToken.generate()
    token = ApiToken(user=user, name=name[:100], digest=ApiToken.hash(raw), hint=raw[:8])
    token.full_clean(exclude=["digest", "hint"])
    tracked_save(token, actor=user, reason="API token created")
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner or staff may. Revoking twice is harmless."""
    if token.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied("You can only revoke your own tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        tracked_save(token, actor=actor, reason="API token revoked", update_fields=["revoked_at"])
    return token


class ResetVerdict(enum.Enum):
    SEND = "send"
    TOO_MANY_FOR_ADDRESS = "address"  # answered as if sent: says nothing about the address
    TOO_MANY_FROM_CLIENT = "client"  # a 429 for that client


def password_reset_request_allowed(*, email: str, ip_address: str | None) -> ResetVerdict:
    """Record one reset request, then say whether its email may go out.

    Record first, count after, each in its own statement (autocommit, outside any
    transaction): two concurrent requests each see at least the other's row or the
    other sees theirs, so the limit can be undershot under a race but never exceeded.
    Requests are counted whether or not the address belongs to anyone.
    """
    now = timezone.now()
    window = now - timedelta(seconds=settings.LEDGER_PASSWORD_RESET_WINDOW_SECONDS)
    digest = PasswordResetRequest.digest(email)
    PasswordResetRequest.objects.create(email_digest=digest, ip_address=ip_address, created_at=now)
    recent = PasswordResetRequest.objects.filter(created_at__gt=window)
    if ip_address and (
        recent.filter(ip_address=ip_address).count() > settings.LEDGER_PASSWORD_RESET_PER_CLIENT
    ):
        return ResetVerdict.TOO_MANY_FROM_CLIENT
    if recent.filter(email_digest=digest).count() > settings.LEDGER_PASSWORD_RESET_PER_ADDRESS:
        return ResetVerdict.TOO_MANY_FOR_ADDRESS
    # Old rows only feed the throttle: drop those well outside the window.
    PasswordResetRequest.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    return ResetVerdict.SEND

"""Writes for calendar feeds: create (or regenerate) and revoke a person's secret URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from config.history import tracked_save

from .models import CalendarFeed

if TYPE_CHECKING:
    from config.accounts.models import User


def _revoke_active(user: User, *, actor: User, reason: str) -> int:
    revoked = 0
    now = timezone.now()
    for feed in CalendarFeed.objects.select_for_update().filter(user=user, revoked_at=None):
        feed.revoked_at = now
        tracked_save(feed, actor=actor, reason=reason, update_fields=["revoked_at"])
        revoked += 1
    return revoked


@transaction.atomic
def calendar_feed_regenerate(*, user: User) -> tuple[CalendarFeed, str]:
    """A new secret URL token for ``user``; the old one (if any) stops working at once.

    Returns (feed, raw token): the raw token is never stored, show it once.
    """
    if not user.is_active:
        raise PermissionDenied("Inactive accounts have no calendar feed.")
    # Lock the user row: two concurrent regenerations serialise here, and the partial
    # unique constraint (one active feed per person) backs it up.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    _revoke_active(user, actor=user, reason="calendar URL regenerated")
    raw = CalendarFeed.generate()
    feed = CalendarFeed(user=user, digest=CalendarFeed.hash(raw), hint=raw[:8])
    tracked_save(feed, actor=user, reason="calendar URL created")
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    """Revoke ``user``'s calendar URL (it answers 404 from now on). Returns how many."""
    return _revoke_active(user, actor=user, reason="calendar URL revoked")


def calendar_feed_user(*, raw: str) -> User | None:
    """The active user behind a feed token, or None (unknown, revoked, inactive user)."""
    if not raw or len(raw) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=CalendarFeed.hash(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    return feed.user if feed else None

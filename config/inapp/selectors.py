"""Reads for the in-app notification list: one person's notifications, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from config import readers
from config.notifications.models import Notification

from .models import NotificationRead

if TYPE_CHECKING:
    from config.accounts.models import User


def _is_read() -> Exists:
    return Exists(NotificationRead.objects.filter(notification=OuterRef("pk")))


def notifications_of(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """``user``'s notifications (every email queued for them, whatever its delivery state),
    each annotated ``is_read``. Emails to addresses without a user are nobody's here."""
    qs = (
        Notification.objects.filter(user=user)
        .annotate(is_read=_is_read())
        .only("event", "subject", "created_at", "state", "subject_type", "subject_id")
        .order_by("-created_at", "-id")
    )
    if unread_only:
        qs = qs.filter(is_read=False)
    return qs


def unread(*, user: User) -> QuerySet[Notification]:
    """``user``'s unread notifications (unordered; the navigation counts them)."""
    return Notification.objects.filter(user=user).exclude(_is_read())


def unread_count(*, user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread(user=user).count()


def hidden_among(*, user: User, rows: Iterable[Notification]) -> set[int]:
    """The ids of ``rows`` (``user``'s) about what ``user`` may no longer read — e.g. a
    team-private log's document after they left its team (config.readers). Their
    subject and text are not shown again; one query per kind of subject (plus two)."""
    rows = list(rows)
    refs = {(n.subject_type, n.subject_id) for n in rows if n.subject_type}
    if not refs:
        return set()
    told = readers.told_refs(user, refs)
    return {n.pk for n in rows if n.subject_type and (n.subject_type, n.subject_id) not in told}


def notification_of(*, user: User, pk: int) -> Notification:
    """One of ``user``'s notifications; someone else's is a 404, as a missing one."""
    return get_object_or_404(Notification.objects.annotate(is_read=_is_read()), pk=pk, user=user)

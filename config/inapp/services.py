"""Writes for in-app notifications: mark one, or all, as read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from config.history import stamp
from config.notifications.models import Notification

from .models import NotificationRead

if TYPE_CHECKING:
    from config.accounts.models import User


def _lock_reader(user: User) -> None:
    """Mark-reads of one person run one at a time (the user row is the lock), so
    "which are unread" cannot change between reading it and writing the marks."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> bool:
    """Mark ``notification`` (which must be ``user``'s) read. True if it was unread."""
    if notification.user_id != user.pk:
        raise PermissionError("Only its recipient can mark a notification read.")
    _lock_reader(user)
    if NotificationRead.objects.filter(notification=notification).exists():
        return False
    mark = NotificationRead(notification=notification, user=user, read_at=timezone.now())
    stamp(mark, actor=user, reason="read in the app").save()
    return True


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many. Three queries
    (lock, find, insert + history in bulk) whatever the number."""
    _lock_reader(user)
    unread = list(
        Notification.objects.filter(user=user, read_mark__isnull=True).values_list("pk", flat=True)
    )
    if not unread:
        return 0
    now = timezone.now()
    marks = [
        stamp(
            NotificationRead(notification_id=pk, user=user, read_at=now),
            actor=user,
            reason="all marked read",
        )
        for pk in unread
    ]
    bulk_create_with_history(
        marks, NotificationRead, default_user=user, default_change_reason="all marked read"
    )
    return len(marks)

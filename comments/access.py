"""Who may do what with the comments of a document.

Reading and posting follow the document: whoever may read a decision or an acceptance
(every ledger role; for an acceptance also the people named to sign it) may read and
write its comments. Only the author edits a comment, within ``LEDGER_COMMENT_EDIT_MINUTES``
of posting it, and only staff hide one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from adr.models import Decision
from config.accounts.roles import can_read
from risks.models import RequiredSignatory, RiskAcceptance

from .models import Comment

Document = Decision | RiskAcceptance


def edit_window() -> timedelta:
    return timedelta(minutes=getattr(settings, "LEDGER_COMMENT_EDIT_MINUTES", 15))


def may_read(user, document: Document) -> bool:
    if can_read(user):
        return True
    if isinstance(document, RiskAcceptance) and getattr(user, "is_authenticated", False):
        return RequiredSignatory.objects.filter(acceptance=document, user=user).exists()
    return False


def readers_among(users: list, document: Document) -> set[int]:
    """The pks of ``users`` who may read ``document`` (two queries at most)."""
    allowed = {u.pk for u in users if can_read(u)}
    rest = [u.pk for u in users if u.pk not in allowed]
    if rest and isinstance(document, RiskAcceptance):
        allowed |= set(
            RequiredSignatory.objects.filter(acceptance=document, user_id__in=rest).values_list(
                "user_id", flat=True
            )
        )
    return allowed


def require_read(user, document: Document) -> None:
    if not may_read(user, document):
        raise PermissionDenied("You cannot read this document, so you cannot comment on it.")


def may_edit(user, comment: Comment, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        comment.author_id == getattr(user, "pk", None)
        and not comment.hidden
        and now - comment.created_at <= edit_window()
    )


def may_hide(user) -> bool:
    return bool(getattr(user, "is_staff", False) and user.is_active)

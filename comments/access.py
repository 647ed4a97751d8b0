"""Who may do what with the comments of a document.

Reading and posting follow the document: whoever reads a decision's log
(``adr.access.can_read_log``), or an acceptance (``risks.access.readable_acceptance_q``,
and the people named to sign it), reads and writes its comments; a team-private log's
comments stay with its readers. Only the author edits a comment, within
``LEDGER_COMMENT_EDIT_MINUTES`` of posting it, and only staff hide one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from adr.access import can_read_log
from adr.models import Decision
from risks.access import readable_acceptance_q
from risks.models import RequiredSignatory, RiskAcceptance

from .models import Comment

Document = Decision | RiskAcceptance


def edit_window() -> timedelta:
    return timedelta(minutes=getattr(settings, "LEDGER_COMMENT_EDIT_MINUTES", 15))


def noun(document: Document) -> str:
    return "decision" if isinstance(document, Decision) else "acceptance"


def may_read(user, document: Document) -> bool:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if isinstance(document, Decision):
        return can_read_log(user, document.log)
    readable = RiskAcceptance.objects.filter(readable_acceptance_q(user), pk=document.pk)
    named = RequiredSignatory.objects.filter(acceptance=document, user=user)
    return readable.exists() or named.exists()


def readers_among(users: list, document: Document) -> set[int]:
    """The pks of ``users`` who may read ``document`` (a few queries each: these are the
    people one comment mentions)."""
    return {u.pk for u in users if may_read(u, document)}


def require_read(user, document: Document) -> None:
    if not may_read(user, document):
        raise PermissionDenied(
            f"You cannot read this {noun(document)}, so you cannot comment on it."
        )


def may_edit(user, comment: Comment, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        comment.author_id == getattr(user, "pk", None)
        and not comment.hidden
        and now - comment.created_at <= edit_window()
    )


def may_hide(user) -> bool:
    return bool(getattr(user, "is_staff", False) and user.is_active)

"""The writes on comments: post, edit (author, within the window), hide (staff).

Every write records its actor and reason in the history; nothing here deletes. The
people a comment mentions are notified through the notification outbox, once per
(comment, person) whatever number of edits mention them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from adr.models import Decision
from config import concurrency
from config.errors import refuse_nul
from config.history import tracked_save
from config.markup import render_markdown
from config.notifications.services import notify_users
from config.notifications.table import audience
from risks.models import RiskAcceptance

from . import mentions
from .access import Document, may_edit, may_hide, require_read
from .models import BODY_MAX, Comment, Mention
from .selectors import document_of

if TYPE_CHECKING:
    from config.accounts.models import User


def _clean_body(body: str) -> str:
    refuse_nul(body=body or "")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something first."]})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": [f"A comment has at most {BODY_MAX} characters."]})
    return body


def _notify_mentioned(comment: Comment, people: list, *, actor: User) -> None:
    """Record and notify the mentioned people not yet mentioned by this comment."""
    known = set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True))
    new = [user for user in people if user.pk not in known]
    Mention.objects.bulk_create(
        [Mention(comment=comment, user=user) for user in new], ignore_conflicts=True
    )
    hearing = audience("comment.mentioned", actor=actor, mentioned=new)
    if not hearing:
        return
    document = comment.document
    notify_users(
        users=hearing,
        event="comment.mentioned",
        key=f"comments:{comment.pk}:mentioned",
        template="comment-mentioned",
        context={
            "comment": comment,
            "author": actor,
            "document_title": str(document),
            "url": comment.get_absolute_url(),
        },
        about=comment,
    )


def comment_post(
    *, actor: User, document: Document, body: str, parent: Comment | None = None
) -> Comment:
    """A new comment on ``document`` (a reply when ``parent`` is given)."""
    require_read(actor, document)
    body = _clean_body(body)
    people = mentions.resolve(body, document=document)
    if parent is not None:
        if document_of(parent) != document:
            raise ValidationError({"parent": ["That comment belongs to another document."]})
        if parent.parent_id:
            parent = parent.parent  # one level of replies
    comment = Comment(
        decision=document if isinstance(document, Decision) else None,
        acceptance=document if isinstance(document, RiskAcceptance) else None,
        parent=parent,
        author=actor,
        body=body,
        body_html=render_markdown(body),
    )
    with transaction.atomic():
        tracked_save(comment, actor=actor, reason="comment posted")
        _notify_mentioned(comment, people, actor=actor)
    return comment


def comment_edit(
    *, actor: User, comment: Comment, body: str, expected_version: int | None
) -> Comment:
    """The author changes their comment within the edit window; the history keeps the
    old text. People newly mentioned are notified; nobody is notified twice."""
    body = _clean_body(body)
    with transaction.atomic():
        locked = concurrency.lock(comment)
        if not may_edit(actor, locked):
            raise PermissionDenied(
                "Only the author can edit a comment, and only for a short while after posting it."
            )
        concurrency.check_version(locked, expected_version)
        people = mentions.resolve(body, document=document_of(locked))
        changed = concurrency.assign(locked, body=body, body_html=render_markdown(body))
        if changed:
            locked.edited_at = timezone.now()
            concurrency.save_changed(
                locked, fields=[*changed, "edited_at"], actor=actor, reason="comment edited"
            )
        _notify_mentioned(locked, people, actor=actor)
    return locked


def comment_hide(*, actor: User, comment: Comment, reason: str) -> Comment:
    """Staff hide a comment from the page, with a reason shown in its place. Its text
    stays in the history (the audit file); it is never deleted."""
    if not may_hide(actor):
        raise PermissionDenied("Only staff can hide a comment.")
    refuse_nul(reason=reason or "")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the comment is hidden."]})
    with transaction.atomic():
        locked = concurrency.lock(comment)
        if locked.hidden:
            raise ValidationError("This comment is already hidden.")
        locked.hidden_at = timezone.now()
        locked.hidden_by = actor
        locked.hidden_reason = reason[:300]
        concurrency.save_changed(
            locked,
            fields=["hidden_at", "hidden_by", "hidden_reason"],
            actor=actor,
            reason=f"hidden: {reason}"[:100],
        )
    return locked

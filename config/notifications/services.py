"""The outbox: write rows inside the caller's transaction, send them on commit, once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from config import readers
from config.bulk import create_with_history
from config.emails import EmailRenderer
from config.history import stamp, tracked_save
from config.preferences.outbox import apply_preferences, with_footer
from config.preferences.services import footer_links

from .models import Notification

if TYPE_CHECKING:
    from config.accounts.models import User

# The sending half lives in .sending; these names stay importable from here.
from .sending import (  # noqa: F401
    MAX_ATTEMPTS,
    REQUEUE_AFTER,
    UNCERTAIN_AFTER,
    _claim,
    backoff,
    notification_send,
    notifications_requeue_pending,
    send_on_commit,
)


@dataclass
class Email:
    """One email to queue: `notification_enqueue`'s arguments, for the bulk path."""

    recipient: str
    event: str
    dedupe_key: str
    template: str
    context: dict
    user: User | None = None
    about: models.Model | None = None


def notification_enqueue(
    *,
    recipient: str,
    event: str,
    dedupe_key: str,
    template: str,
    context: dict,
    user: User | None = None,
    about: models.Model | None = None,
) -> Notification | None:
    """Add one email to the outbox (at most once per `dedupe_key`); send it after commit.

    Returns the new row, or None when that key was already in the outbox.
    """
    rows = notification_enqueue_many(
        [Email(recipient, event, dedupe_key, template, context, user=user, about=about)]
    )
    return rows[0] if rows else None


def notification_enqueue_many(emails: Iterable[Email]) -> list[Notification]:
    """Queue each email at most once per dedupe key; send them after commit.

    The query count does not grow with the number of emails: one query finds the keys
    already queued, one bulk insert writes the rows and one their history. Returns the
    new rows (keys already in the outbox, and empty recipients, are skipped).
    """
    unique: dict[str, Email] = {}
    for email in emails:
        if email.recipient:
            unique.setdefault(email.dedupe_key[:255], email)
    unique = _readers_only(unique)
    if not unique:
        return []
    taken = set(
        Notification.objects.filter(dedupe_key__in=list(unique)).values_list(
            "dedupe_key", flat=True
        )
    )
    batch = _Batch()
    rows = [batch.render(key, email) for key, email in unique.items() if key not in taken]
    if not rows:
        return []
    apply_preferences(rows)
    try:
        with transaction.atomic():
            created = create_with_history(rows, Notification)
    except IntegrityError:
        # Another transaction queued one of these keys meanwhile: save them one by one.
        created = [row for row in rows if _save_unless_queued(row)]
    send_on_commit(row.pk for row in created if row.state == Notification.State.PENDING)
    return created


def _readers_only(emails: dict[str, Email]) -> dict[str, Email]:
    """Drop the emails to a person who may not be told about the email's ``about``
    (config.readers: a team-private log's documents are told to its readers only).

    - ``about`` None: the email is about no document (a digest, a checkpoint): kept.
    - No ``user`` (an extra address, not a person of the ledger): kept; whoever wrote the
      address in (a trigger's writers) chose to tell it (docs/notifications.md).
    - ``about`` of a model no app registered: :class:`config.readers.UnknownSubject`
      is raised, so the caller's transaction fails loudly rather than send it.

    One query per model of ``about`` (plus two for the batch's roles), whatever the
    number of emails. Nothing is written for a dropped email: not even its in-app row
    (which would show its subject and text)."""
    pairs = [
        (email.user, email.about)
        for email in emails.values()
        if email.about is not None and email.user is not None
    ]
    if not pairs:
        return emails
    allowed = readers.readers_many(pairs)
    kept = {}
    for key, email in emails.items():
        about, user = email.about, email.user
        if about is None or user is None or (user.pk, *_key(about)) in allowed:
            kept[key] = email
    return kept


def _key(about: models.Model) -> tuple[str, object]:
    return about._meta.label_lower, about.pk


class _Batch:
    """Renders one batch's rows: each template compiled once, each footer (it depends
    only on the person and the event) built once."""

    def __init__(self) -> None:
        self.renderer = EmailRenderer()
        self.footers: dict[tuple[int | None, str], dict] = {}

    def render(self, key: str, email: Email) -> Notification:
        rendered = self.renderer.render(
            email.template,
            {"recipient_user": email.user, **email.context},
            time_zone=getattr(email.user, "time_zone", ""),
        )
        user_id = getattr(email.user, "pk", None)
        links = self.footers.get((user_id, email.event))
        if links is None:
            links = footer_links(user_id=user_id, event=email.event)
            self.footers[(user_id, email.event)] = links
        rendered = with_footer(rendered, user_id=user_id, event=email.event, links=links)
        about = email.about
        row = Notification(
            recipient=email.recipient,
            user=email.user,
            event=email.event,
            dedupe_key=key,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            subject_type=about._meta.label_lower if about is not None else "",
            subject_id=about.pk if about is not None else None,
        )
        return stamp(row, reason=f"queued: {email.event}")


def _save_unless_queued(row: Notification) -> bool:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return False  # another transaction queued the same key first
    return True


def notify_users(
    *,
    users: Iterable,
    event: str,
    key: str,
    template: str,
    context: dict,
    about: models.Model | None = None,
) -> list[Notification]:
    """One email per user with an address; `key` identifies the event (recipient is added).
    Only those who may be told about ``about`` get one (config.readers)."""
    return notification_enqueue_many(
        user_emails(
            users=users, event=event, key=key, template=template, context=context, about=about
        )
    )


def user_emails(
    *,
    users: Iterable,
    event: str,
    key: str,
    template: str,
    context: dict,
    about: models.Model | None = None,
    addresses: Iterable[str] = (),
) -> list[Email]:
    """The emails `notify_users` queues: one per distinct address of an active user, then
    one per extra address not already covered; dedupe key f"{key}:{address}".

    `notification_enqueue_many` then drops the users who may not be told about ``about``
    (config.readers); an extra address that is also such a user's address was covered by
    that user's email, so it is dropped with it."""
    emails = []
    seen: set[str] = set()
    targets = [(user, getattr(user, "email", "")) for user in users]
    targets += [(None, address) for address in addresses]
    for user, address in targets:
        address = (address or "").strip().lower()
        if not address or address in seen or not getattr(user, "is_active", True):
            continue
        seen.add(address)
        emails.append(
            Email(address, event, f"{key}:{address}", template, context, user=user, about=about)
        )
    return emails


def notification_resend(*, notification: Notification, actor: User) -> Notification:
    """Staff decision to send an *uncertain* or *failed* row again (it may arrive twice)."""
    if not (actor.is_staff or actor.is_superuser):
        raise PermissionDenied("Only staff can resend an email.")
    if notification.state not in (Notification.State.UNCERTAIN, Notification.State.FAILED):
        raise ValueError("Only uncertain or failed emails can be resent.")
    notification.state = Notification.State.PENDING
    notification.next_attempt_at = timezone.now()
    tracked_save(
        notification,
        actor=actor,
        reason="resend requested by staff",
        update_fields=["state", "next_attempt_at"],
    )
    send_on_commit([notification.pk])
    return notification

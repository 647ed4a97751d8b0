"""The outbox: write rows inside the caller's transaction, send them on commit, once."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from config.emails import render_email
from config.history import stamp, tracked_save

from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
UNCERTAIN_AFTER = timedelta(minutes=10)
REQUEUE_AFTER = timedelta(minutes=2)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass
class Email:
    """One email to queue: `notification_enqueue`'s arguments, for the bulk path."""

    recipient: str
    event: str
    dedupe_key: str
    template: str
    context: dict
    user: object | None = None
    about: object | None = None


def notification_enqueue(
    *,
    recipient: str,
    event: str,
    dedupe_key: str,
    template: str,
    context: dict,
    user=None,
    about=None,
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
    if not unique:
        return []
    taken = set(
        Notification.objects.filter(dedupe_key__in=list(unique)).values_list(
            "dedupe_key", flat=True
        )
    )
    rows = [_render(key, email) for key, email in unique.items() if key not in taken]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = bulk_create_with_history(rows, Notification)
    except IntegrityError:
        # Another transaction queued one of these keys meanwhile: save them one by one.
        created = [row for row in rows if _save_unless_queued(row)]
    send_on_commit(row.pk for row in created)
    return created


def _render(key: str, email: Email) -> Notification:
    rendered = render_email(email.template, {"recipient_user": email.user, **email.context})
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


def send_on_commit(pks: Iterable[int]) -> None:
    """After the caller's transaction commits, nudge the broker to send these rows.

    The row is the record of work: if the broker is unreachable the request must
    not fail after its data was saved, so the error is logged and the periodic
    requeue (run by every sweep) sends the rows once the broker is back.
    """
    pks = list(pks)
    if not pks:
        return

    def nudge() -> None:
        from .tasks import send_notification

        for pk in pks:
            try:
                send_notification.delay(pk)
            except Exception:  # noqa: BLE001 - any broker failure: the requeue sweep retries
                log.warning("broker unreachable; notification %s stays pending", pk, exc_info=True)
                return

    transaction.on_commit(nudge)


def notify_users(
    *, users: Iterable, event: str, key: str, template: str, context: dict, about=None
) -> list[Notification]:
    """One email per user with an address; `key` identifies the event (recipient is added)."""
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
    about=None,
    addresses: Iterable[str] = (),
) -> list[Email]:
    """The emails `notify_users` queues: one per distinct address of an active user, then
    one per extra address not already covered; dedupe key f"{key}:{address}"."""
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


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                pk=notification_id,
                state__in=[Notification.State.PENDING, Notification.State.RETRY],
                next_attempt_at__lte=now,
            )
            .first()
        )
        if row is None:
            return None
        row.state = Notification.State.SENDING
        row.attempts += 1
        row.claimed_at = now
        tracked_save(
            row, reason="claimed for sending", update_fields=["state", "attempts", "claimed_at"]
        )
        return row


def notification_send(*, notification_id: int) -> str:
    """Claim the row, then talk to SMTP. Safe to call twice: the second call finds nothing."""
    row = _claim(notification_id)
    if row is None:
        return "skipped"
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient],
        headers={"X-Ledger-Event": row.event, "X-Ledger-Notification": str(row.pk)},
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    try:
        message.send(fail_silently=False)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        # The server refused or could not be reached: nothing was delivered, retry later.
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = Notification.State.FAILED
        else:
            row.state = Notification.State.RETRY
            row.next_attempt_at = timezone.now() + backoff(row.attempts)
        tracked_save(
            row, reason="send failed", update_fields=["state", "last_error", "next_attempt_at"]
        )
        log.warning("notification %s: %s", row.pk, row.last_error)
        return "retry"
    row.state = Notification.State.SENT
    row.sent_at = timezone.now()
    row.last_error = ""
    tracked_save(row, reason="sent", update_fields=["state", "sent_at", "last_error"])
    return "sent"


def notifications_requeue_pending(*, now=None) -> dict[str, int]:
    """The database is the record of work: nudge rows whose broker message may be lost,
    and mark sends that never reported back as uncertain (never re-sent silently)."""
    now = now or timezone.now()
    stale = Notification.objects.filter(
        state=Notification.State.SENDING, claimed_at__lt=now - UNCERTAIN_AFTER
    )
    uncertain = 0
    for row in stale:
        row.state = Notification.State.UNCERTAIN
        row.last_error = "The send was interrupted before the mail server answered."
        tracked_save(row, reason="marked uncertain", update_fields=["state", "last_error"])
        uncertain += 1
    due = list(
        Notification.objects.filter(
            state__in=[Notification.State.PENDING, Notification.State.RETRY],
            next_attempt_at__lte=now,
            created_at__lte=now - REQUEUE_AFTER,
        ).values_list("pk", flat=True)[:500]
    )
    # Retry rows become due by their own clock, whatever their age.
    due += list(
        Notification.objects.filter(
            state=Notification.State.RETRY,
            next_attempt_at__lte=now,
        )
        .exclude(pk__in=due)
        .values_list("pk", flat=True)[:500]
    )
    send_on_commit(due)
    return {"requeued": len(due), "uncertain": uncertain}


def notification_resend(*, notification: Notification, actor) -> Notification:
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

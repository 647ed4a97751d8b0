"""Sending the outbox: nudge the broker after commit, claim a row, hand it to the mail
server at most once, record the outcome; the requeue finds what a lost nudge left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.history import tracked_save

from .delivery import DeliveryRefused, DeliveryUncertain, deliver
from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
UNCERTAIN_AFTER = timedelta(minutes=10)
# A nudge the broker took but no worker acted on within this time is sent again. With
# the sweep running every minute, a message lost in a broker restart is nudged again
# by the second sweep after it.
REQUEUE_AFTER = timedelta(minutes=1)
REQUEUE_BATCH = 2000


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes, capped at an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


# One broker message carries up to this many outbox ids: a sweep batch of 200 emails is
# two messages, not 200 (each a broker round trip), and several workers still share a
# large backlog.
NUDGE_CHUNK = 100


def send_on_commit(pks: Iterable[int]) -> None:
    """After the caller's transaction commits, nudge the broker to send these rows
    (one `send_notifications` message per NUDGE_CHUNK rows).

    The row is the record of work: if the broker is unreachable the request must
    not fail after its data was saved, so the error is logged and the rows keep no
    `nudged_at`; the next requeue (run by every sweep) nudges them at once.
    """
    pks = list(pks)
    if not pks:
        return

    def nudge() -> None:
        from .tasks import send_notifications

        nudged: list[int] = []
        try:
            for start in range(0, len(pks), NUDGE_CHUNK):
                chunk = pks[start : start + NUDGE_CHUNK]
                send_notifications.delay(chunk)
                nudged += chunk
        except Exception:  # noqa: BLE001 - any broker failure: the next requeue nudges them
            log.warning(
                "broker unreachable; %d notifications stay pending until the next sweep",
                len(pks) - len(nudged),
                exc_info=True,
            )
        finally:
            _mark_nudged(nudged)

    transaction.on_commit(nudge)


def _mark_nudged(pks: list[int]) -> None:
    # nudged_at is bookkeeping outside the history (excluded_fields), so a
    # QuerySet.update loses no audit row. One query per batch of nudges.
    if not pks:
        return
    try:
        Notification.objects.filter(
            pk__in=pks, state__in=[Notification.State.PENDING, Notification.State.RETRY]
        ).update(nudged_at=timezone.now())
    except Exception:  # noqa: BLE001 - the next requeue nudges them once more: harmless
        log.warning("could not record the nudge of %d notifications", len(pks), exc_info=True)


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    with transaction.atomic():
        # Wait for a row lock rather than skip it: the lock is only ever held for a
        # moment (the nudge's `nudged_at` update, another claim), and a skipped claim
        # was lost until the requeue (a nudged row is not re-nudged for REQUEUE_AFTER).
        # After the wait the state is checked again, so two claims never both win.
        row = (
            Notification.objects.select_for_update()
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
        row.nudged_at = None  # a retry is nudged again once it is due
        tracked_save(
            row,
            reason="claimed for sending",
            update_fields=["state", "attempts", "claimed_at", "nudged_at"],
        )
        return row


def notification_send(*, notification_id: int) -> str:
    """Claim the row, then hand the email to the mail server, at most once.

    Safe to call twice: the second call finds nothing to claim. A refusal before the
    message was handed over waits to retry with backoff; a failure after it was handed
    over (no clear answer: timeout, disconnect) leaves the row *uncertain* for staff.
    """
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
        deliver(message)
    except DeliveryUncertain as exc:
        log.warning("notification %s may have been delivered: %s", row.pk, exc)
        return _record_outcome(
            row,
            state=Notification.State.UNCERTAIN,
            reason="handed over, no answer",
            last_error=f"The mail server took the message but gave no clear answer ({exc}). "
            "It may have been delivered: resend only if the recipient did not get it.",
        )
    except DeliveryRefused as exc:
        log.warning("notification %s: %s", row.pk, exc)
        if row.attempts >= MAX_ATTEMPTS:
            return _record_outcome(
                row, state=Notification.State.FAILED, reason="send failed", last_error=str(exc)
            )
        return _record_outcome(
            row,
            state=Notification.State.RETRY,
            reason="send failed",
            last_error=str(exc),
            next_attempt_at=timezone.now() + backoff(row.attempts),
        )
    return _record_outcome(
        row, state=Notification.State.SENT, reason="sent", last_error="", sent_at=timezone.now()
    )


_OUTCOMES: dict[str, str] = {
    Notification.State.SENT: "sent",
    Notification.State.RETRY: "retry",
    Notification.State.FAILED: "failed",
    Notification.State.UNCERTAIN: "uncertain",
}


def _record_outcome(
    claimed: Notification, *, state: str, reason: str, last_error: str, **fields
) -> str:
    """Write what the send ended in, on the locked row, only if it is still our attempt.

    While we talked to SMTP the requeue may have declared the send uncertain (it took
    longer than UNCERTAIN_AFTER); a real answer replaces that guess. A row claimed
    again since (a staff resend) belongs to that attempt and is left alone.
    """
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(
                pk=claimed.pk,
                claimed_at=claimed.claimed_at,
                state__in=[Notification.State.SENDING, Notification.State.UNCERTAIN],
            )
            .first()
        )
        if row is None:
            log.warning(
                "notification %s changed while sending; outcome %s not kept", claimed.pk, state
            )
            return _OUTCOMES[state]
        fields.update(state=state, last_error=last_error[:2000])
        for name, value in fields.items():
            setattr(row, name, value)
        tracked_save(row, reason=reason, update_fields=list(fields))
    return _OUTCOMES[state]


def notifications_requeue_pending(*, now=None) -> dict[str, int]:
    """The database is the record of work: nudge rows whose broker message may be lost,
    and mark sends that never reported back as uncertain (never re-sent silently).

    Nudged: every due row the broker never took a nudge for (`nudged_at` empty: the
    broker was down at commit, or the process died before nudging) — so the first
    sweep after an outage sends them — and rows nudged more than REQUEUE_AFTER ago
    (the message may have been lost with a restarted broker). Rows nudged recently
    are left alone, so a backlog is not flooded with duplicates; a duplicate nudge
    is harmless anyway: the claim skips a row that is no longer due.
    """
    now = now or timezone.now()
    uncertain = _mark_stale_sends_uncertain(now)
    due = list(
        Notification.objects.filter(
            Q(nudged_at__isnull=True) | Q(nudged_at__lte=now - REQUEUE_AFTER),
            state__in=[Notification.State.PENDING, Notification.State.RETRY],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )
    send_on_commit(due)
    return {"requeued": len(due), "uncertain": uncertain}


def _mark_stale_sends_uncertain(now) -> int:
    """Sends claimed long ago that never reported back (the worker died): uncertain."""
    stale = Notification.objects.filter(
        state=Notification.State.SENDING, claimed_at__lt=now - UNCERTAIN_AFTER
    )
    uncertain = 0
    for pk in stale.values_list("pk", flat=True)[:REQUEUE_BATCH]:
        with transaction.atomic():
            # Locked and re-checked: the sender may have reported back meanwhile.
            row = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:
                continue
            row.state = Notification.State.UNCERTAIN
            row.last_error = "The send was interrupted before the mail server answered."
            tracked_save(row, reason="marked uncertain", update_fields=["state", "last_error"])
            uncertain += 1
    return uncertain

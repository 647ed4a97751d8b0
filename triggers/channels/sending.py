"""Sending channel deliveries: nudge the broker on commit, claim the row under its lock,
POST once, record the outcome; retry with backoff; a requeue finds lost nudges.

At most once at a time: the row is claimed (state → sending, attempts + 1) in its own
short transaction before the POST, so two workers never both send it. A send that never
reported back (the worker died) becomes *uncertain* and is not re-sent automatically.
A 4xx/5xx answer, a timeout or a refused connection waits to retry (1, 2, 4… × the
base delay, at most an hour) and is *failed* after LEDGER_CHANNEL_MAX_ATTEMPTS.
Email never waits for any of this: channels have their own rows, task and queue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.history import tracked_save
from triggers import netguard

from . import payloads, transport
from .models import Channel, ChannelDelivery

log = logging.getLogger(__name__)

D = ChannelDelivery.State
UNCERTAIN_AFTER = timedelta(minutes=10)
REQUEUE_AFTER = timedelta(minutes=1)
REQUEUE_BATCH = 500


def backoff(attempts: int) -> timedelta:
    seconds = settings.LEDGER_CHANNEL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


def send_on_commit(pks: Iterable[int], *, countdown: float = 0) -> None:
    """After commit, one `send_channel_delivery` message per row; a broker failure is
    logged and left to the requeue (the row is the record of work)."""
    pks = list(pks)
    if not pks:
        return

    def nudge() -> None:
        from .tasks import send_channel_delivery

        nudged = []
        try:
            for pk in pks:
                send_channel_delivery.apply_async((pk,), countdown=countdown or None)
                nudged.append(pk)
        except Exception:  # noqa: BLE001 - the requeue nudges them
            log.warning("broker unreachable; %d deliveries wait", len(pks) - len(nudged))
        if nudged:
            ChannelDelivery.objects.filter(pk__in=nudged, state__in=[D.PENDING, D.RETRY]).update(
                nudged_at=timezone.now()  # bookkeeping outside the history
            )

    transaction.on_commit(nudge)


def _claim(delivery_id: int, now: datetime) -> ChannelDelivery | None:
    with transaction.atomic():
        row = (
            ChannelDelivery.objects.select_for_update()
            .filter(pk=delivery_id, state__in=[D.PENDING, D.RETRY], next_attempt_at__lte=now)
            .first()
        )
        if row is None:
            return None
        row.state = D.SENDING
        row.attempts += 1
        row.claimed_at = now
        tracked_save(
            row, reason="claimed for sending", update_fields=["state", "attempts", "claimed_at"]
        )
        return row


def delivery_send(*, delivery_id: int) -> str:
    """Claim the row and post it; safe to call twice (the second finds nothing to claim)."""
    row = _claim(delivery_id, timezone.now())
    if row is None:
        return "skipped"
    channel = Channel.objects.get(pk=row.channel_id)
    if not channel.active:
        return _record(row, state=D.FAILED, reason="channel disabled", error="Channel disabled.")
    body = row.body.encode()
    try:
        response = transport.send(
            "POST",
            channel.url,
            body=body,
            headers=payloads.headers_for(channel, body, delivery_id=row.pk),
        )
    except netguard.GuardError as exc:
        return _failed(row, error=str(exc) or type(exc).__name__)
    if 200 <= response.status < 300:
        return _record(
            row, state=D.SENT, reason="sent", status=response.status, sent_at=timezone.now()
        )
    detail = response.body[:300].decode(errors="replace")
    return _failed(row, error=f"HTTP {response.status}: {detail}", status=response.status)


def _failed(row: ChannelDelivery, *, error: str, status: int | None = None) -> str:
    log.warning("channel delivery %s: %s", row.pk, error)
    if row.attempts >= settings.LEDGER_CHANNEL_MAX_ATTEMPTS:
        return _record(row, state=D.FAILED, reason="send failed", error=error, status=status)
    delay = backoff(row.attempts)
    outcome = _record(
        row,
        state=D.RETRY,
        reason="send failed",
        error=error,
        status=status,
        next_attempt_at=timezone.now() + delay,
    )
    send_on_commit([row.pk], countdown=delay.total_seconds())
    return outcome


def _record(
    claimed: ChannelDelivery,
    *,
    state: str,
    reason: str,
    error: str = "",
    status: int | None = None,
    **fields,
) -> str:
    """Write the outcome on the locked row if it is still this attempt's."""
    with transaction.atomic():
        row = (
            ChannelDelivery.objects.select_for_update()
            .filter(
                pk=claimed.pk, claimed_at=claimed.claimed_at, state__in=[D.SENDING, D.UNCERTAIN]
            )
            .first()
        )
        if row is None:
            log.warning("channel delivery %s changed while sending", claimed.pk)
            return state
        fields.update(state=state, last_error=error[:2000], last_status=status)
        for name, value in fields.items():
            setattr(row, name, value)
        tracked_save(row, reason=reason, update_fields=list(fields))
    return state


def deliveries_requeue_pending(*, now: datetime | None = None) -> dict[str, int]:
    """Nudge due rows whose message may be lost; mark sends that never reported back
    uncertain (never re-sent silently)."""
    now = now or timezone.now()
    uncertain = 0
    stale = ChannelDelivery.objects.filter(state=D.SENDING, claimed_at__lt=now - UNCERTAIN_AFTER)
    for pk in stale.values_list("pk", flat=True)[:REQUEUE_BATCH]:
        with transaction.atomic():
            row = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:
                continue
            row.state = D.UNCERTAIN
            row.last_error = "The send was interrupted before the endpoint answered."
            tracked_save(row, reason="marked uncertain", update_fields=["state", "last_error"])
            uncertain += 1
    due = list(
        ChannelDelivery.objects.filter(
            Q(nudged_at__isnull=True) | Q(nudged_at__lte=now - REQUEUE_AFTER),
            state__in=[D.PENDING, D.RETRY],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:REQUEUE_BATCH]
    )
    send_on_commit(due)
    return {"requeued": len(due), "uncertain": uncertain}

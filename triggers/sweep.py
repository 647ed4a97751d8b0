"""The sweep: one pass over due triggers, claimed in batches.

`sweep()` is run by the Celery beat task `triggers.tasks.sweep_triggers` and by
`manage.py sweep_triggers`:

1. due triggers that need no network (date, expiry, initiative, mitigation overdue, and
   reminders of fired triggers) are handled first, so none of them ever waits for a probe;
2. metric probes then run with bounded concurrency, *no* transaction open and no row
   locked, each under a hard deadline (`triggers.netguard`), all of them within the
   sweep's budget (`LEDGER_SWEEP_PROBE_BUDGET_SECONDS`); the metric triggers whose probe
   finished are handled last;
3. due triggers are claimed in batches (`SELECT … FOR UPDATE SKIP LOCKED`, one short
   transaction per batch), so overlapping sweeps never handle the same trigger;
4. each trigger goes to its kind's evaluator (`triggers.evaluate`), and the batch's
   evaluations, fired events, trigger updates, effects and outbox rows are written
   together (`triggers.firing.Work`); emails are sent by one task per batch enqueued on
   commit; a trigger whose evaluation or write fails gets an error evaluation and backs
   off, and the rest of the batch goes on (`triggers.isolation`);
5. the outbox is nudged (`notifications_requeue_pending`): the database is the record
   of work, a broker message only a nudge.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from config.notifications import services as notifications

from . import isolation, probes
from .evaluate import SweepResult
from .firing import RELATED, Work
from .models import Trigger, WebhookDelivery

K = Trigger.Kind
S = Trigger.State
BATCH_SIZE = 200
# Probes end by 3/4 of the sweep's budget and are waited for until 17/20 of it; the rest
# is kept to record their results, so the sweep returns within the budget.
PROBE_SHARE = 0.75
PROBE_GRACE = 0.1


def _due(now: datetime) -> QuerySet[Trigger]:
    # Uses the partial index trigger_due (next_check_at IS NOT NULL).
    return Trigger.objects.filter(next_check_at__lte=now, state__in=[S.ARMED, S.WARNED, S.FIRED])


def run_probes(now: datetime, *, deadline: float, grace: float) -> dict[int, probes.ProbeResult]:
    """Probe due metric triggers with bounded concurrency, outside any transaction, until
    `deadline` (a `time.monotonic()` instant); those not probed by then stay due."""
    rows = list(
        _due(now)
        .filter(kind=K.METRIC, state__in=Trigger.LIVE_STATES)
        .order_by("next_check_at")
        .values_list("pk", "params")[:500]
    )
    workers = settings.LEDGER_METRIC_CONCURRENCY
    return probes.probe_all(rows, deadline=deadline, grace=grace, workers=workers)


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Handle everything due on or before `now` (catch-up included). Safe to run concurrently.

    Returns within LEDGER_SWEEP_PROBE_BUDGET_SECONDS whatever the metric endpoints do
    (given a responsive database).
    """
    started = time.monotonic()
    now = now or timezone.now()
    result = SweepResult()
    seen: set[int] = set()
    # No network needed: dates, expiries, initiatives, overdue mitigations, reminders.
    _claim_and_handle(now, ~Q(kind=K.METRIC) | Q(state=S.FIRED), {}, result, seen, batch_size)
    budget = settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS
    probe_results = run_probes(
        now, deadline=started + budget * PROBE_SHARE, grace=budget * PROBE_GRACE
    )
    if probe_results:
        metric = Q(kind=K.METRIC, state__in=Trigger.LIVE_STATES, pk__in=list(probe_results))
        _claim_and_handle(now, metric, probe_results, result, seen, batch_size)
    _prune_deliveries(now)
    with transaction.atomic():
        result.requeued = notifications.notifications_requeue_pending(now=now)
    return result


def _claim_and_handle(now: datetime, which: Q, probe_results: dict, result: SweepResult,
                      seen: set[int], batch_size: int) -> None:  # fmt: skip
    while True:
        with transaction.atomic():
            # Every handled trigger leaves the due set (next_check_at moves past `now` or to
            # NULL), so the loop ends; `seen` only guards against a trigger that would not.
            batch = list(
                _due(now)
                .filter(which)
                .order_by("next_check_at", "pk")
                .select_for_update(skip_locked=True, of=("self",))[:batch_size]
            )
            batch = [trigger for trigger in batch if trigger.pk not in seen]
            if not batch:
                break
            result.batches += 1
            prefetch_related_objects(batch, *RELATED)
            seen.update(trigger.pk for trigger in batch)
            isolation.handle_batch(batch, work=Work(now), probes=probe_results, result=result)


def _prune_deliveries(now: datetime) -> None:
    """Signatures older than twice the tolerance cannot be replayed (their timestamp is stale)."""
    cutoff = now - timedelta(seconds=2 * settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS + 60)
    # A replay guard, not audited content (no history): a plain delete.
    WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()

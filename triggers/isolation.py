"""One trigger's failure stays that trigger's: the rest of the sweep goes on.

The sweep evaluates a claimed batch in memory and writes it in bulk (the query count
does not grow with the batch). Around that:

- an exception while *evaluating* a trigger (bad stored parameters, a bug) undoes what
  that trigger's evaluation had changed in memory and records an error evaluation
  instead (`record_failure`);
- the batch is written inside a savepoint; if *writing* fails (an effect on an
  acceptance or decision raises, a constraint is violated), the savepoint is rolled back
  and every trigger of the batch is handled and written again on its own, each in its own
  savepoint, so only the one at fault ends up with an error evaluation. (A savepoint per
  trigger up front would cost two queries per trigger on every sweep, and the query
  count would grow with the batch; this way only a failing batch pays.)

A failed trigger backs off exponentially (`backoff`): `consecutive_failures` counts the
failures in a row, `next_check_at` moves out by 1, 2, 4 … minutes (at most a day), and
`last_error` shows staff what went wrong on the trigger list and page. The next good
evaluation clears both.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import prefetch_related_objects

from .evaluate import SweepResult, handle
from .firing import RELATED, TRIGGER_FIELDS, Work
from .models import Evaluation, Trigger

if TYPE_CHECKING:
    from .probes import ProbeResult

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(days=1)


def backoff(failures: int) -> timedelta:
    """How long to wait after the n-th failure in a row: 1, 2, 4 … minutes, at most a day."""
    return min(BACKOFF_FIRST * 2 ** min(max(failures, 1) - 1, 20), BACKOFF_MAX)


def record_failure(work: Work, trigger: Trigger, exc: BaseException) -> None:
    """An error evaluation, and the next look pushed out by the backoff."""
    trigger.consecutive_failures += 1
    delay = backoff(trigger.consecutive_failures)
    work.record(
        trigger,
        Evaluation.Outcome.ERROR,
        error=(
            f"The evaluation failed ({type(exc).__name__}: {exc}); "
            f"failure {trigger.consecutive_failures} in a row, next try in "
            f"{int(delay.total_seconds() // 60)} min."
        ),
    )
    trigger.last_checked_at = work.now
    trigger.next_check_at = work.now + delay
    work.touch(trigger, "evaluation failed")


def handle_one(work: Work, trigger: Trigger, probe: ProbeResult | None, result: SweepResult):
    """`evaluate.handle()` for one trigger; an exception becomes that trigger's error."""
    before = {name: getattr(trigger, name) for name in TRIGGER_FIELDS}
    part, counts = Work(work.now, work.actor), SweepResult()
    try:
        handle(part, trigger, probe, counts)
    except Exception as exc:  # noqa: BLE001 - recorded on the trigger, the batch goes on
        log.exception("sweep: evaluating trigger %s failed", trigger.pk)
        for name, value in before.items():
            setattr(trigger, name, value)
        part, counts = Work(work.now, work.actor), SweepResult(checked=1, errors=1)
        record_failure(part, trigger, exc)
    else:
        errored = any(e.outcome == Evaluation.Outcome.ERROR for e in part.evaluations)
        if trigger.pk in part.changed and not errored:
            trigger.consecutive_failures = 0  # a good look ends a run of failures
            trigger.last_error = ""
    work.absorb(part)
    result.add(counts)


def handle_batch(batch: list[Trigger], *, work: Work, probes: dict, result: SweepResult) -> None:
    """Handle and write a claimed batch; on a write failure, fall back to one by one."""
    counts = SweepResult()
    for trigger in batch:
        handle_one(work, trigger, probes.get(trigger.pk), counts)
    try:
        with transaction.atomic():
            work.flush()
    except Exception:  # noqa: BLE001 - found and recorded below, one trigger at a time
        log.exception("sweep: writing a batch of %s failed; writing one by one", len(batch))
        counts = _one_by_one([t.pk for t in batch], now=work.now, probes=probes)
    result.add(counts)


def _fresh(pk: int) -> Trigger:
    trigger = Trigger.objects.get(pk=pk)  # already locked by the batch's claim
    prefetch_related_objects([trigger], *RELATED)
    return trigger


def _one_by_one(pks: list[int], *, now, probes: dict) -> SweepResult:
    total = SweepResult()
    for pk in pks:
        counts = SweepResult()
        try:
            with transaction.atomic():
                work = Work(now)
                handle_one(work, _fresh(pk), probes.get(pk), counts)
                work.flush()
        except Exception as exc:  # noqa: BLE001 - this trigger is the one at fault
            log.exception("sweep: writing trigger %s failed", pk)
            counts = SweepResult(checked=1, errors=1)
            try:
                with transaction.atomic():
                    work = Work(now)
                    record_failure(work, _fresh(pk), exc)
                    work.flush()
            except Exception:  # noqa: BLE001 - left due: the next sweep tries again
                log.exception("sweep: recording the failure of trigger %s failed", pk)
                counts = SweepResult()
        total.add(counts)
    return total

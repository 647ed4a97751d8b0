"""Per-kind rules: when a trigger is next due, and what looking at it does.

Each kind has one `Evaluator` in the `EVALUATORS` registry (registered below, at import,
which `triggers.apps` does at start-up):

- ``next_check(trigger, now)``: while the trigger is armed or warned, when the sweep must
  look at it next (a UTC instant for `Trigger.next_check_at`), or None when only an event
  (a webhook call, an initiative marked done) can change it;
- ``evaluate(work, trigger, probe, result)``: record an evaluation on `work` (a
  `triggers.firing.Work`), and warn, fire or reschedule it; `probe` is the metric probe's
  result (None for other kinds, or a metric not probed in this sweep).

`handle()` is what the sweep calls per claimed trigger: a fired trigger gets its
reminders, any other goes to its kind's evaluator. `next_check()` adds the reminder
schedule of fired triggers to the kinds' own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from config.registry import Registry

from . import probes
from .models import Evaluation, Initiative, Trigger, local_today, start_of_day

if TYPE_CHECKING:
    from .firing import Work

K = Trigger.Kind
S = Trigger.State
O = Evaluation.Outcome  # noqa: E741
DEFAULT_METRIC_INTERVAL_MINUTES = 60
PROBE_RETRY = timedelta(seconds=1)  # i.e. the next sweep
CLOSED_ACCEPTANCE_STATES = ("revoked", "remediated", "expired")


@dataclass
class SweepResult:
    checked: int = 0
    fired: int = 0
    warned: int = 0
    reminded: int = 0
    probe_errors: int = 0
    batches: int = 0
    errors: int = 0  # evaluations that raised (recorded on the trigger, which backs off)
    requeued: dict = field(default_factory=dict)

    def add(self, other: SweepResult) -> None:
        for f in fields(self):
            if f.type in ("int", int):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def __str__(self) -> str:
        return (
            f"checked {self.checked}, fired {self.fired}, warned {self.warned}, "
            f"reminded {self.reminded}, probe errors {self.probe_errors}, "
            f"errors {self.errors}, batches {self.batches}, outbox {self.requeued}"
        )


class Evaluator(Protocol):
    """The rules of some kinds of trigger (see the module docstring for the contract)."""

    @property
    def kinds(self) -> tuple[str, ...]: ...  # a class attribute in each evaluator

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None: ...

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None: ...


EVALUATORS: Registry[Evaluator] = Registry(
    "triggers.evaluate.EVALUATORS", "One evaluator per kind of trigger."
)


def evaluator_for(kind: str) -> Evaluator | None:
    for evaluator in EVALUATORS:
        if kind in evaluator.kinds:
            return evaluator
    return None


def reminder_every() -> timedelta:
    return timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS)


def next_check(trigger: Trigger, now: datetime) -> datetime | None:
    """When the sweep must look at this trigger next; None when only an event can change it."""
    if trigger.state in (S.ARMED, S.WARNED):
        evaluator = evaluator_for(trigger.kind)
        return evaluator.next_check(trigger, now) if evaluator else None
    if trigger.state == S.FIRED and trigger.fired_at:
        return trigger.fired_at + reminder_every() * (trigger.reminders_sent + 1)
    return None


def handle(
    work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
) -> None:
    result.checked += 1
    if trigger.state == S.FIRED:
        _remind(work, trigger, result)
        return
    evaluator = evaluator_for(trigger.kind)
    if evaluator is None:
        work.reschedule(trigger)
        return
    evaluator.evaluate(work, trigger, probe, result)


# --- Shared steps ---------------------------------------------------------------------


def _acceptance_gone(work: Work, trigger: Trigger) -> bool:
    """An expiry or mitigation trigger of a closed acceptance has nothing left to watch."""
    acceptance = trigger.risk_acceptance
    if acceptance is None or acceptance.state not in CLOSED_ACCEPTANCE_STATES:
        return False
    work.record(trigger, O.NOT_MET, observed=f"acceptance {acceptance.state}")
    trigger.state = S.DISARMED
    trigger.state_reason = f"disarmed: the acceptance is {acceptance.get_state_display().lower()}"
    trigger.next_check_at = None
    trigger.last_checked_at = work.now
    work.touch(trigger, "acceptance closed")
    return True


def _recheck_tomorrow(work: Work, trigger: Trigger, observed: str) -> None:
    work.record(trigger, O.NOT_MET, observed=observed)
    trigger.last_checked_at = work.now
    trigger.next_check_at = start_of_day(local_today(work.now) + timedelta(days=1))
    work.touch(trigger, "checked")


def _remind(work: Work, trigger: Trigger, result: SweepResult) -> None:
    """Re-announce an unacknowledged fired trigger; from reminder N on, escalate too."""
    if not trigger.fired_at:
        work.reschedule(trigger)
        return
    elapsed = int((work.now - trigger.fired_at) / reminder_every())
    if elapsed <= trigger.reminders_sent:
        work.reschedule(trigger)
        return
    # After downtime, one reminder (numbered as the latest one due) goes out.
    trigger.reminders_sent = elapsed
    escalate = elapsed >= settings.LEDGER_REMINDERS_BEFORE_ESCALATION
    work.reschedule(trigger, f"reminder {elapsed}")
    work.notify(
        trigger,
        key=f"trigger:{trigger.pk}:g{trigger.generation}:reminder:{elapsed}",
        event="trigger.reminder",
        template="trigger-reminder",
        context={"number": elapsed, "escalated": escalate, "reason": trigger.state_reason},
        escalate=escalate,
    )
    result.reminded += 1


# --- The kinds ------------------------------------------------------------------------


class DateEvaluator:
    """A date, or an acceptance's expiry: warnings at the lead days, then it fires."""

    kinds = (K.DATE, K.EXPIRY)

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None:
        fire_at = trigger.fire_at
        if fire_at is None:
            return None
        # Every warning instant is before `fire_at` (lead days are positive).
        pending = [
            at for days, at in trigger.warning_instants() if days not in trigger.warnings_sent
        ]
        return min([*pending, fire_at])

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None:
        now = work.now
        if trigger.kind == K.EXPIRY and _acceptance_gone(work, trigger):
            return
        fire_day, fire_at = trigger.fire_day, trigger.fire_at  # both None, or neither
        if fire_day is None or fire_at is None:
            work.record(trigger, O.ERROR, error="No valid date in the parameters.")
            trigger.next_check_at = None
            work.touch(trigger, "invalid date")
            return
        day = fire_day.isoformat()
        if now >= fire_at:
            acceptance = trigger.risk_acceptance
            if trigger.kind == K.EXPIRY and acceptance is not None and acceptance.state == "draft":
                # A draft cannot expire (it was never in force); look again tomorrow.
                _recheck_tomorrow(work, trigger, "acceptance draft")
                return
            work.record(trigger, O.FIRED, observed=day)
            if trigger.kind == K.EXPIRY:
                reason = f"The risk acceptance expired on {day}."
            else:
                reason = f"The date {day} has arrived."
            work.fire(trigger, reason=reason, details={"date": day})
            result.fired += 1
            return
        unsent = [
            d
            for d, at in trigger.warning_instants()
            if at <= now and d not in trigger.warnings_sent
        ]
        if not unsent:
            work.record(trigger, O.NOT_MET, observed=local_today(now).isoformat())
            work.reschedule(trigger)
            return
        # After downtime only the nearest warning goes out; the skipped ones count as sent.
        lead = min(unsent)
        days_left = (fire_day - local_today(now)).days
        work.record(trigger, O.WARNED, observed=f"{days_left} days left")
        trigger.warnings_sent = sorted({*trigger.warnings_sent, *unsent}, reverse=True)
        trigger.state = S.WARNED
        work.reschedule(trigger, f"warning {lead} days before")
        work.notify(
            trigger,
            key=f"trigger:{trigger.pk}:g{trigger.generation}:warn:{day}:{lead}",
            event="trigger.warning",
            template="trigger-warning",
            context={"days_left": days_left, "day": trigger.fire_day},
        )
        result.warned += 1


class MetricEvaluator:
    """A number read from a URL (probed by the sweep, outside any transaction)."""

    kinds = (K.METRIC,)

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None:
        if trigger.last_checked_at is None:
            return now
        minutes = trigger.params.get("interval_minutes") or DEFAULT_METRIC_INTERVAL_MINUTES
        return max(trigger.last_checked_at + timedelta(minutes=minutes), now)

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None:
        if probe is None:  # not probed in this sweep: leave it for the next one
            return
        if not probe.ok or probe.value is None:  # (ok: a value and no error)
            result.probe_errors += 1
            trigger.consecutive_failures += 1
            work.record(trigger, O.ERROR, observed=probe.observed, error=probe.error)
            # Retried on the next sweep, not after the full interval.
            trigger.last_checked_at = work.now
            trigger.next_check_at = work.now + PROBE_RETRY
            work.touch(trigger, "probe failed")
            if trigger.consecutive_failures == settings.LEDGER_METRIC_FAILURES_BEFORE_ALERT:
                trigger.probe_alerts += 1
                work.notify(
                    trigger,
                    key=f"trigger:{trigger.pk}:probe-broken:{trigger.probe_alerts}",
                    event="trigger.probe_broken",
                    template="trigger-probe-broken",
                    context={"error": probe.error, "failures": trigger.consecutive_failures},
                )
            return
        # (A good look resets consecutive_failures: triggers.isolation, for every kind.)
        params = trigger.params
        if probes.condition_met(probe.value, params):
            work.record(trigger, O.FIRED, observed=probe.observed)
            reason = (
                f"The metric read {probe.observed}, which is {params['op']} "
                f"{float(params['threshold']):g}."
            )
            work.fire(trigger, reason=reason, details={"value": probe.value})
            result.fired += 1
            return
        work.record(trigger, O.NOT_MET, observed=probe.observed)
        work.reschedule(trigger, "probe ok")


class InitiativeEvaluator:
    """Another team's initiative: fires when it is marked done."""

    kinds = (K.INITIATIVE,)

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None:
        initiative = trigger.initiative
        return now if initiative and initiative.status == Initiative.Status.DONE else None

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None:
        initiative = trigger.initiative
        if initiative and initiative.status == Initiative.Status.DONE:
            work.record(trigger, O.FIRED, observed="done")
            work.fire(
                trigger,
                reason=f"The initiative “{initiative.name}” is done.",
                details={"initiative": initiative.pk},
            )
            result.fired += 1
        else:
            work.reschedule(trigger)


class MitigationEvaluator:
    """A planned mitigation of an accepted risk still planned after its due date."""

    kinds = (K.MITIGATION_OVERDUE,)

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None:
        mitigation = trigger.mitigation
        if mitigation is None or mitigation.due_on is None:
            return None
        return start_of_day(mitigation.due_on + timedelta(days=1))

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None:
        now = work.now
        mitigation = trigger.mitigation
        acceptance = trigger.risk_acceptance
        if _acceptance_gone(work, trigger):
            return
        if mitigation is None or mitigation.due_on is None:
            work.reschedule(trigger)
            return
        status = mitigation.get_status_display()
        if local_today(now) <= mitigation.due_on or mitigation.status != "planned":
            work.record(trigger, O.NOT_MET, observed=status)
            work.reschedule(trigger)
            return
        if acceptance is not None and acceptance.state != "accepted":
            # Only an accepted risk rests on its mitigations; look again tomorrow.
            _recheck_tomorrow(work, trigger, f"{status}; acceptance {acceptance.state}")
            return
        work.record(trigger, O.FIRED, observed=status)
        reason = (
            f"The mitigation “{mitigation.description[:120]}” is still planned after its due "
            f"date {mitigation.due_on.isoformat()}."
        )
        work.fire(trigger, reason=reason, details={"mitigation": mitigation.pk})
        result.fired += 1


class WebhookEvaluator:
    """Fires when called (`triggers.webhooks`); the sweep has nothing to look at."""

    kinds = (K.WEBHOOK,)

    def next_check(self, trigger: Trigger, now: datetime) -> datetime | None:
        return None

    def evaluate(
        self, work: Work, trigger: Trigger, probe: probes.ProbeResult | None, result: SweepResult
    ) -> None:
        work.reschedule(trigger)


for _evaluator in (
    DateEvaluator(),
    MetricEvaluator(),
    InitiativeEvaluator(),
    MitigationEvaluator(),
    WebhookEvaluator(),
):
    EVALUATORS.register(_evaluator)

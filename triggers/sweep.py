"""The sweep: one evaluation pass over due triggers, and the firing machinery it shares
with webhooks and initiatives.

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
4. a batch's evaluations, fired events, trigger updates, acceptance and decision
   effects and outbox rows are written together (in bulk: the query count per batch
   does not grow with its size, except one call per distinct acceptance/decision
   affected), and emails are sent by a task enqueued on commit; a trigger whose
   evaluation or write fails gets an error evaluation and backs off, and the rest of the
   batch goes on (`triggers.isolation`);
5. the outbox is nudged (`notifications_requeue_pending`): the database is the record
   of work, a broker message only a nudge.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from config import bulk
from config.history import stamp
from config.notifications import services as notifications

from . import access, fired_hooks, isolation, probes
from .ledger import chain_fired_events
from .models import (
    Evaluation,
    FiredEvent,
    Initiative,
    Trigger,
    WebhookDelivery,
    local_today,
    start_of_day,
)
from .schedule import next_check, reminder_every

log = logging.getLogger(__name__)

K = Trigger.Kind
S = Trigger.State
O = Evaluation.Outcome  # noqa: E741
BATCH_SIZE = 200
PROBE_RETRY = timedelta(seconds=1)  # i.e. the next sweep
TRIGGER_FIELDS = [
    "state",
    "state_reason",
    "fired_at",
    "reminders_sent",
    "last_checked_at",
    "next_check_at",
    "warnings_sent",
    "consecutive_failures",
    "probe_alerts",
    "last_error",
]
# Probes end by 3/4 of the sweep's budget and are waited for until 17/20 of it; the rest
# is kept to record their results, so the sweep returns within the budget.
PROBE_SHARE = 0.75
PROBE_GRACE = 0.1
RELATED = (
    "watchers",
    "decisions__log",
    "initiative",
    "mitigation",
    "escalation_contact",
    "sensitivity_note__decision__log",
    "risk_acceptance__owner",
    "risk_acceptance__signatories__user",
)


@dataclass
class _Fire:
    trigger: Trigger
    reason: str
    details: dict
    event: FiredEvent | None = None


@dataclass
class _Message:
    trigger: Trigger
    key: str  # may contain "{event}", filled in once the fired event has its id
    event: str
    template: str
    context: dict
    escalate: bool = False
    fire: _Fire | None = None


class Work:
    """What one batch (or one webhook call, or one initiative marked done) changes.

    Collected in memory while the triggers are locked, then written in bulk by `flush()`
    inside the same transaction.
    """

    def __init__(self, now: datetime, actor=None):
        self.now = now
        self.actor = actor if getattr(actor, "pk", None) else None
        self.evaluations: list[Evaluation] = []
        self.fires: list[_Fire] = []
        self.changed: dict[int, Trigger] = {}
        self.messages: list[_Message] = []

    # -- collecting --
    def record(self, trigger: Trigger, outcome: str, *, observed: str = "", error: str = ""):
        evaluation = Evaluation(
            trigger=trigger,
            at=self.now,
            outcome=outcome,
            observed=str(observed)[:200],
            error=str(error)[:2000],
        )
        trigger.last_error = evaluation.error if outcome == O.ERROR else ""
        self.evaluations.append(stamp(evaluation, reason=f"evaluated: {outcome}"))

    def touch(self, trigger: Trigger, reason: str) -> None:
        self.changed[trigger.pk] = stamp(trigger, reason=reason)

    def reschedule(self, trigger: Trigger, reason: str = "checked") -> None:
        trigger.last_checked_at = self.now
        due = next_check(trigger, self.now)
        trigger.next_check_at = due if due is None or due > self.now else None
        self.touch(trigger, reason)

    def notify(self, trigger: Trigger, *, key: str, event: str, template: str, context: dict,
               escalate: bool = False, fire: _Fire | None = None) -> None:  # fmt: skip
        self.messages.append(_Message(trigger, key, event, template, context, escalate, fire))

    def fire(self, trigger: Trigger, *, reason: str, details: dict) -> _Fire:
        trigger.state = S.FIRED
        trigger.state_reason = reason[:500]
        trigger.fired_at = self.now
        trigger.reminders_sent = 0
        trigger.last_checked_at = self.now
        trigger.next_check_at = next_check(trigger, self.now)
        self.touch(trigger, "fired")
        fired = _Fire(trigger, reason[:500], details)
        self.fires.append(fired)
        self.notify(
            trigger,
            key=f"trigger:{trigger.pk}:fired:{{event}}",
            event="trigger.fired",
            template="trigger-fired",
            context={"reason": reason},
            fire=fired,
        )
        return fired

    def absorb(self, other: Work) -> None:
        """Take over what `other` (one trigger's share) collected."""
        self.evaluations += other.evaluations
        self.fires += other.fires
        self.changed.update(other.changed)
        self.messages += other.messages

    # -- writing --
    def flush(self) -> list[FiredEvent]:
        if self.evaluations:
            bulk.create_with_history(self.evaluations, Evaluation, default_user=self.actor)
        effects = self._effects()
        events = []
        for fired in self.fires:
            details = dict(fired.details)
            effect = effects.get(fired.trigger.pk)
            if effect:
                details["effect"] = effect
            fired.event = FiredEvent(
                trigger=fired.trigger,
                generation=fired.trigger.generation,
                fired_at=self.now,
                reason=fired.reason,
                details=details,
            )
            events.append(stamp(fired.event, reason="fired"))
        if events:
            bulk.create_with_history(events, FiredEvent, default_user=self.actor)
            chain_fired_events(events, actor=self.actor)
        if self.changed:
            # One UPDATE … FROM (VALUES …) with the history rows in the same statement.
            bulk.update_with_history(
                list(self.changed.values()), Trigger, TRIGGER_FIELDS, default_user=self.actor
            )
        self._send()
        fired_hooks.announce(events)
        return events

    def _effects(self) -> dict[int, str]:
        """The acceptance becomes triggered (or expired); the decisions need review."""
        from adr.services import decision_flag_review
        from risks import services as risk_services

        effects: dict[int, str] = {}
        acceptances: dict[int, tuple] = {}
        decisions: dict[int, tuple] = {}
        for fired in self.fires:
            trigger = fired.trigger
            acceptance = trigger.risk_acceptance
            if acceptance is not None:
                expire = trigger.kind == K.EXPIRY
                known = acceptances.get(acceptance.pk)
                if known is None or (expire and not known[1]):
                    acceptances[acceptance.pk] = (acceptance, expire, fired)
            linked = list(trigger.decisions.all())
            note = trigger.sensitivity_note
            if note is not None:
                linked.append(note.decision)
            for decision in linked:
                decisions.setdefault(decision.pk, (decision, fired))
        for pk in sorted(acceptances):
            acceptance, expire, fired = acceptances[pk]
            try:
                if expire:
                    risk_services.acceptance_expire(acceptance=acceptance, actor=self.actor)
                else:
                    risk_services.acceptance_mark_triggered(
                        acceptance=acceptance, reason=fired.reason, actor=self.actor
                    )
            except ValidationError as exc:  # the trigger still fires
                log.info("acceptance %s unchanged: %s", pk, exc)
                continue
            for other in self.fires:
                if other.trigger.risk_acceptance_id == pk:
                    effects[other.trigger.pk] = f"acceptance {acceptance.state}"
        for pk in sorted(decisions):  # a fixed lock order
            decision, fired = decisions[pk]
            decision_flag_review(
                decision=decision,
                reason=f"Trigger “{fired.trigger.name}” fired: {fired.reason}",
                actor=self.actor,
            )
        return effects

    def _send(self) -> None:
        emails: list[notifications.Email] = []
        site = settings.SITE_URL.rstrip("/")
        # "Please acknowledge" only to those who can (triggers.access): every recipient is
        # involved in their trigger, so the readers among all of them, found in one query
        # after the loop (emails are rendered later), are those who may acknowledge.
        acknowledgers: set[int] = set()
        everyone: list = []
        for message in self.messages:
            trigger = message.trigger
            key = message.key
            context = {
                "trigger": trigger,
                "trigger_url": site + trigger.get_absolute_url(),
                "acceptance": trigger.risk_acceptance,
                "decisions": list(trigger.decisions.all()),
                "reminder_days": settings.LEDGER_REMINDER_EVERY_DAYS,
                **message.context,
            }
            if message.fire is not None:
                key = key.replace("{event}", str(message.fire.event.pk))
                context["event"] = message.fire.event
            users, addresses = recipients(trigger, escalate=message.escalate)
            context["acknowledger_ids"] = acknowledgers
            everyone += users
            emails += notifications.user_emails(
                users=users,
                addresses=addresses,
                event=message.event,
                key=key,
                template=message.template,
                context=context,
                about=trigger,
            )
        acknowledgers.update(access.acknowledger_ids(everyone))
        notifications.notification_enqueue_many(emails)


def recipients(trigger: Trigger, *, escalate: bool = False) -> tuple[list, list[str]]:
    """(users, extra addresses): the watch list, the acceptance's owner and signatories."""
    users = list(trigger.watchers.all())
    acceptance = trigger.risk_acceptance
    if acceptance is not None:
        users.append(acceptance.owner)
        users.extend(line.user for line in acceptance.signatories.all())
    addresses = trigger.extra_address_list()
    if escalate:
        if trigger.escalation_contact is not None:
            users.append(trigger.escalation_contact)
        if trigger.escalation_email:
            addresses.append(trigger.escalation_email)
    return users, addresses


# --- The sweep ----------------------------------------------------------------------


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


def _due(now: datetime):
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


def _claim_and_handle(now, which: Q, probe_results: dict, result: SweepResult, seen: set[int],
                      batch_size: int) -> None:  # fmt: skip
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


def handle(work: Work, trigger: Trigger, probe, result: SweepResult) -> None:
    result.checked += 1
    if trigger.state == S.FIRED:
        _remind(work, trigger, result)
    elif trigger.kind in (K.DATE, K.EXPIRY):
        _evaluate_date(work, trigger, result)
    elif trigger.kind == K.METRIC:
        _evaluate_metric(work, trigger, probe, result)
    elif trigger.kind == K.INITIATIVE:
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
    elif trigger.kind == K.MITIGATION_OVERDUE:
        _evaluate_mitigation(work, trigger, result)
    else:
        work.reschedule(trigger)


CLOSED_ACCEPTANCE_STATES = ("revoked", "remediated", "expired")


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


def _evaluate_date(work: Work, trigger: Trigger, result: SweepResult) -> None:
    now = work.now
    if trigger.kind == K.EXPIRY and _acceptance_gone(work, trigger):
        return
    fire_at = trigger.fire_at
    if fire_at is None:
        work.record(trigger, O.ERROR, error="No valid date in the parameters.")
        trigger.next_check_at = None
        work.touch(trigger, "invalid date")
        return
    day = trigger.fire_day.isoformat()
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
        d for d, at in trigger.warning_instants() if at <= now and d not in trigger.warnings_sent
    ]
    if not unsent:
        work.record(trigger, O.NOT_MET, observed=local_today(now).isoformat())
        work.reschedule(trigger)
        return
    # After downtime only the nearest warning goes out; the skipped ones count as sent.
    lead = min(unsent)
    days_left = (trigger.fire_day - local_today(now)).days
    work.record(trigger, O.WARNED, observed=f"{days_left} days left")
    trigger.warnings_sent = sorted({*trigger.warnings_sent, *unsent}, reverse=True)
    trigger.state = S.WARNED
    work.reschedule(trigger, f"warning {lead} days before")
    work.notify(
        trigger,
        key=f"trigger:{trigger.pk}:g{trigger.generation}:warn:{day}:{lead}",
        event="trigger.warning",
        template="trigger-warning",
        context={"days_left": days_left, "lead": lead, "day": trigger.fire_day},
    )
    result.warned += 1


def _evaluate_metric(work: Work, trigger: Trigger, probe, result: SweepResult) -> None:
    if probe is None:  # not probed in this sweep: leave it for the next one
        return
    if not probe.ok:
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
    trigger.consecutive_failures = 0
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


def _evaluate_mitigation(work: Work, trigger: Trigger, result: SweepResult) -> None:
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
        f"The mitigation “{mitigation.description[:120]}” is still planned after its due date "
        f"{mitigation.due_on.isoformat()}."
    )
    work.fire(trigger, reason=reason, details={"mitigation": mitigation.pk})
    result.fired += 1


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


def _prune_deliveries(now: datetime) -> None:
    """Signatures older than twice the tolerance cannot be replayed (their timestamp is stale)."""
    cutoff = now - timedelta(seconds=2 * settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS + 60)
    # A replay guard, not audited content (no history): a plain delete.
    WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()

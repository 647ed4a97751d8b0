"""The firing work: what one batch of the sweep, one webhook call or one initiative
marked done changes, collected in memory while the triggers are locked and written in
bulk by `Work.flush()` inside the caller's transaction.

- evaluations (`Work.record`), fired events (`Work.fire`, chained in the ledger), trigger
  updates (one ``UPDATE … FROM (VALUES …)`` with history) and the outbox rows of the
  emails (`Work.notify`), each in a number of queries that does not grow with the batch
  (except one call per distinct acceptance/decision affected);
- the effects of a firing on risks and adr: the acceptance becomes triggered (or
  expired), its decisions need review;
- `recipients()`: who a trigger's emails go to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError

from config import bulk
from config.history import stamp
from config.notifications import services as notifications

from . import access, fired_hooks
from .evaluate import next_check
from .ledger import chain_fired_events
from .models import Evaluation, FiredEvent, Trigger

if TYPE_CHECKING:
    from config.accounts.models import User

log = logging.getLogger(__name__)

K = Trigger.Kind
S = Trigger.State
O = Evaluation.Outcome  # noqa: E741
# The trigger fields the sweep writes (one bulk UPDATE per batch).
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
# What evaluating and notifying reads from each trigger: prefetched once per batch.
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

    def __init__(self, now: datetime, actor: User | None = None):
        self.now = now
        self.actor = actor if getattr(actor, "pk", None) else None
        self.evaluations: list[Evaluation] = []
        self.fires: list[_Fire] = []
        self.changed: dict[int, Trigger] = {}
        self.messages: list[_Message] = []

    # -- collecting --
    def record(
        self, trigger: Trigger, outcome: str, *, observed: str = "", error: str = ""
    ) -> None:
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
        short = reason[:500]  # the length of both columns
        trigger.state = S.FIRED
        trigger.state_reason = short
        trigger.fired_at = self.now
        trigger.reminders_sent = 0
        trigger.last_checked_at = self.now
        trigger.next_check_at = next_check(trigger, self.now)
        self.touch(trigger, "fired")
        fired = _Fire(trigger, short, details)
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
                event = message.fire.event
                if event is None:  # flush() writes every fired event before sending
                    raise RuntimeError("a fired trigger's message precedes its event")
                key = key.replace("{event}", str(event.pk))
                context["event"] = event
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
    """(users, extra addresses): the watch list, the acceptance's owner and signatories.

    The outbox then leaves out the users who may not read ``trigger`` (a private log's:
    config.readers); the extra addresses, typed in by its writers, are told as they are."""
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

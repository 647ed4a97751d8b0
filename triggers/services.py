"""Writes for triggers and initiatives (the web UI and the API share these checks).

Who may do what:
- define, edit, disarm, re-arm and resolve triggers, and create initiatives: architects;
- change an initiative's status (how another team's pipeline marks its initiative done,
  with an API token): architects of any team and staff (``triggers.access.may_define``).
  An initiative belongs to no log (another team's project), so no log rule applies; a
  pipeline uses a token of a staff or architect service account;
- acknowledge a fired trigger: staff, the architects who write the trigger (its logs'),
  and everyone the trigger involves who can read it — its watchers, the acceptance's
  owner and signatories, the escalation contact (``triggers.access.may_acknowledge``).

The sweep is `triggers.sweep`; webhook calls are `triggers.webhooks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from config import concurrency
from config.history import tracked_save
from config.readers import readers_of

from . import access
from .evaluate import next_check
from .firing import Work
from .models import Evaluation, FiredEvent, Initiative, Trigger
from .params import clean_addresses, clean_params

if TYPE_CHECKING:
    from adr.models import SensitivityNote
    from config.accounts.models import User
    from risks.models import Mitigation, RiskAcceptance

K = Trigger.Kind
S = Trigger.State


# --- Creating and changing triggers -------------------------------------------------


@transaction.atomic
def trigger_create(
    *,
    actor: User,
    name: str,
    kind: str,
    params: dict | None = None,
    description: str = "",
    justification: str = "",
    decisions: Iterable = (),
    risk_acceptance: RiskAcceptance | None = None,
    sensitivity_note: SensitivityNote | None = None,
    initiative: Initiative | None = None,
    mitigation: Mitigation | None = None,
    watchers: Iterable = (),
    extra_addresses: str = "",
    escalation_contact: User | None = None,
    escalation_email: str = "",
    now: datetime | None = None,
) -> Trigger:
    now = now or timezone.now()
    if kind == K.INITIATIVE:
        if initiative is None:
            raise ValidationError({"initiative": "Choose the initiative this trigger waits for."})
        initiative = Initiative.objects.get(pk=initiative.pk)  # its current status
    if kind == K.MITIGATION_OVERDUE and mitigation is None:
        raise ValidationError({"mitigation": "Choose the mitigation to watch."})
    if sensitivity_note is not None and not decisions:
        decisions = [sensitivity_note.decision]
    owned_by = risk_acceptance or (mitigation.acceptance if mitigation is not None else None)
    access.require_trigger_writer(actor, decisions=decisions, risk_acceptance=owned_by)
    trigger = Trigger(
        name=name.strip(),
        kind=kind,
        params=clean_params(kind, params),
        description=description,
        justification=justification,
        risk_acceptance=risk_acceptance,
        sensitivity_note=sensitivity_note,
        initiative=initiative if kind == K.INITIATIVE else None,
        mitigation=mitigation if kind == K.MITIGATION_OVERDUE else None,
        extra_addresses=clean_addresses(extra_addresses),
        escalation_contact=escalation_contact,
        escalation_email=escalation_email.strip().lower(),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    trigger.next_check_at = next_check(trigger, now)
    trigger.full_clean()
    tracked_save(trigger, actor=actor, reason="trigger defined")
    if decisions:
        trigger.decisions.set(list(decisions))
    watchers = list(watchers)
    require_told(trigger, watchers=watchers, escalation_contact=escalation_contact)
    if watchers:
        trigger.watchers.set(list(watchers))
    return trigger


@transaction.atomic
def trigger_update(
    *,
    actor: User,
    trigger: Trigger,
    name: str,
    description: str = "",
    params: dict | None = None,
    decisions: Iterable | None = None,
    watchers: Iterable | None = None,
    extra_addresses: str = "",
    escalation_contact: User | None = None,
    escalation_email: str = "",
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Trigger:
    """Edit a live trigger. The date of a fired trigger is never changed here (re-arm it).

    Writes only what the edit changes, from the locked row: the sweep's bookkeeping
    (state, fired_at, reminders…) written meanwhile stays. `expected_version` is the
    version the editor loaded (ConflictError if it moved on)."""
    access.require_trigger_writer(actor, trigger)
    if decisions is not None:
        access.require_trigger_writer(actor, trigger, decisions=decisions)
    now = now or timezone.now()
    reason = "trigger edited"
    with concurrency.one_bump():
        trigger = concurrency.lock(trigger)
        concurrency.check_version(trigger, expected_version)
        changed = concurrency.assign(
            trigger,
            name=name.strip(),
            description=description,
            extra_addresses=clean_addresses(extra_addresses),
            escalation_contact_id=escalation_contact.pk if escalation_contact else None,
            escalation_email=escalation_email.strip().lower(),
        )
        if params is not None and trigger.kind not in Trigger.AUTOMATIC_KINDS:
            new = clean_params(trigger.kind, params)
            if new != trigger.params:
                if not trigger.is_live:
                    raise ValidationError(
                        "Only an armed trigger's condition can be changed; re-arm it."
                    )
                trigger.params = new
                trigger.warnings_sent = []
                trigger.last_checked_at = None
                trigger.next_check_at = next_check(trigger, now)
                changed += ["params", "warnings_sent", "last_checked_at", "next_check_at"]
        if changed:
            trigger.full_clean()
            concurrency.save_changed(trigger, fields=changed, actor=actor, reason=reason)
        watching = set(trigger.watchers.values_list("pk", flat=True))
        moved = False
        for relation, wanted in (("decisions", decisions), ("watchers", watchers)):
            if wanted is None:
                continue
            manager = getattr(trigger, relation)
            wanted = list(wanted)
            if {obj.pk for obj in wanted} != set(manager.values_list("pk", flat=True)):
                # Version first: the m2m history row then carries the new version.
                concurrency.touch(trigger, actor=actor, reason=reason, locked=True)
                manager.set(wanted)
                moved = moved or relation == "decisions"
        # The newly named (all of them when the trigger moved to other logs) must read it.
        named = list(trigger.watchers.all()) if moved else list(watchers or ())
        require_told(
            trigger,
            watchers=[u for u in named if moved or u.pk not in watching],
            escalation_contact=escalation_contact if "escalation_contact_id" in changed else None,
        )
    return trigger


def require_told(trigger: Trigger, *, watchers: list, escalation_contact: User | None) -> None:
    """Refuse, by name, people named to be emailed about ``trigger`` who may not read it
    (a private log's trigger: its team, staff, the acceptance's owner and signatories;
    config.readers): their emails would otherwise silently never come. (An address in
    the extra addresses is not a person of the ledger: it is told as configured.)"""
    people = [*watchers, *([escalation_contact] if escalation_contact else [])]
    if not people:
        return
    told = readers_of(users=people, about=trigger)
    errors: dict[str, list[str]] = {}
    for field, users in (("watchers", watchers), ("escalation_contact", [escalation_contact])):
        for user in users:
            if user is None or user.pk in told:
                continue
            name = user.get_username()
            errors.setdefault(field, []).append(
                f"{name} is not an active user."
                if not user.is_active
                else f"{name} cannot read this trigger (its log is private to a team they "
                "are not in), so cannot be emailed about it."
            )
    if errors:
        raise ValidationError(errors)


def set_state(trigger: Trigger, state: str, *, actor: User, reason: str, now: datetime) -> None:
    trigger.state = state
    trigger.state_reason = reason[:500]
    trigger.next_check_at = next_check(trigger, now)
    tracked_save(
        trigger,
        actor=actor,
        reason=reason,
        update_fields=["state", "state_reason", "next_check_at"],
    )


def _current_event(trigger: Trigger) -> FiredEvent | None:
    return (
        FiredEvent.objects.select_for_update()
        .filter(trigger=trigger, generation=trigger.generation)
        .first()
    )


@transaction.atomic
def trigger_acknowledge(
    *, actor: User, trigger: Trigger, note: str = "", now: datetime | None = None
) -> Trigger:
    access.require_acknowledger(actor, trigger)
    now = now or timezone.now()
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.state != S.FIRED:
        raise ValidationError("Only a fired trigger can be acknowledged.")
    event = _current_event(trigger)
    if event is not None:
        event.acknowledged_by = actor
        event.acknowledged_at = now
        tracked_save(
            event,
            actor=actor,
            reason="acknowledged",
            update_fields=["acknowledged_by", "acknowledged_at"],
        )
    set_state(trigger, S.ACKNOWLEDGED, actor=actor, reason=note or "acknowledged", now=now)
    return trigger


@transaction.atomic
def trigger_resolve(
    *, actor: User, trigger: Trigger, resolution: str, now: datetime | None = None
) -> Trigger:
    access.require_trigger_writer(actor, trigger)
    now = now or timezone.now()
    if not resolution.strip():
        raise ValidationError({"resolution": "Say how it was resolved."})
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.state not in (S.FIRED, S.ACKNOWLEDGED):
        raise ValidationError("Only a fired or acknowledged trigger can be resolved.")
    event = _current_event(trigger)
    if event is not None:
        if event.acknowledged_at is None:
            event.acknowledged_by, event.acknowledged_at = actor, now
        event.resolved_by, event.resolved_at = actor, now
        event.resolution = resolution.strip()
        tracked_save(event, actor=actor, reason="resolved")
    set_state(trigger, S.RESOLVED, actor=actor, reason=resolution.strip(), now=now)
    return trigger


@transaction.atomic
def trigger_disarm(
    *, actor: User, trigger: Trigger, reason: str, now: datetime | None = None
) -> Trigger:
    access.require_trigger_writer(actor, trigger)
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": "Say why the trigger is disarmed."})
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.state == S.DISARMED:
        raise ValidationError("The trigger is already disarmed.")
    set_state(trigger, S.DISARMED, actor=actor, reason=f"disarmed: {reason.strip()}", now=now)
    return trigger


@transaction.atomic
def trigger_rearm(
    *,
    actor: User,
    trigger: Trigger,
    justification: str,
    params: dict | None = None,
    now: datetime | None = None,
) -> Trigger:
    """A fresh deferral: a new generation, a new justification (history keeps the old)."""
    access.require_trigger_writer(actor, trigger)
    now = now or timezone.now()
    if not justification.strip():
        raise ValidationError({"justification": "Re-arming needs a new justification."})
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.is_live:
        raise ValidationError("The trigger is already armed.")
    if trigger.justification.strip() == justification.strip():
        raise ValidationError({"justification": "Give a new justification, not the old one."})
    if params is not None:
        trigger.params = clean_params(trigger.kind, params)
    if trigger.kind in (K.DATE, K.EXPIRY) and trigger.fire_at and trigger.fire_at <= now:
        raise ValidationError({"date": "Re-arming a date trigger needs a date in the future."})
    trigger.justification = justification.strip()
    trigger.generation += 1
    trigger.state = S.ARMED
    trigger.state_reason = "re-armed"
    trigger.warnings_sent = []
    trigger.fired_at = None
    trigger.reminders_sent = 0
    trigger.consecutive_failures = 0
    trigger.last_checked_at = None
    trigger.next_check_at = next_check(trigger, now)
    trigger.full_clean()
    concurrency.save_changed(
        trigger,
        fields=[
            "params",
            "justification",
            "generation",
            "state",
            "state_reason",
            "warnings_sent",
            "fired_at",
            "reminders_sent",
            "consecutive_failures",
            "last_checked_at",
            "next_check_at",
        ],
        actor=actor,
        reason="re-armed with a new justification",
    )
    return trigger


# --- Initiatives --------------------------------------------------------------------


@transaction.atomic
def initiative_create(
    *,
    actor: User,
    name: str,
    team: str = "",
    description: str = "",
    target_date: date | None = None,
    status: str = Initiative.Status.PLANNED,
) -> Initiative:
    if not access.may_define(actor):
        raise PermissionDenied("Only architects define initiatives.")
    initiative = Initiative(
        name=name.strip(),
        team=team.strip(),
        description=description,
        target_date=target_date,
        status=status,
    )
    initiative.full_clean()
    tracked_save(initiative, actor=actor, reason="initiative created")
    return initiative


@transaction.atomic
def initiative_set_status(
    *,
    actor: User,
    initiative: Initiative,
    status: str,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Initiative:
    """Change the status; when it becomes *done*, its armed triggers fire (in this transaction).

    `expected_version`: the version the page or API client saw (ConflictError if it moved
    on); setting the status it already has is a no-op, whatever the version."""
    if not access.may_define(actor):
        raise PermissionDenied("Only architects (of any team) and staff change initiatives.")
    now = now or timezone.now()
    if status not in Initiative.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(Initiative.Status.values)}."})
    caller = initiative
    initiative = concurrency.lock(initiative)
    if initiative.status == status:
        return initiative
    concurrency.check_version(initiative, expected_version)
    initiative.status = status
    initiative.done_at = now if status == Initiative.Status.DONE else None
    concurrency.save_changed(
        initiative, fields=["status", "done_at"], actor=actor, reason=f"status → {status}"
    )
    if status == Initiative.Status.DONE:
        waiting = list(
            Trigger.objects.select_for_update()
            .filter(initiative=initiative, kind=K.INITIATIVE, state__in=Trigger.LIVE_STATES)
            .order_by("pk")
        )
        work = Work(now, actor=actor)
        for trigger in waiting:
            trigger.initiative = initiative
            work.record(trigger, Evaluation.Outcome.FIRED, observed="done")
            work.fire(
                trigger,
                reason=f"The initiative “{initiative.name}” was marked done by {actor}.",
                details={"initiative": initiative.pk, "by": str(actor)},
            )
        work.flush()
    caller.status, caller.done_at = initiative.status, initiative.done_at
    caller.version = initiative.version
    return initiative

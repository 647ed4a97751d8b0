"""Writes for triggers and initiatives, and the sweep that evaluates due triggers.

Who may do what (the web UI and the API share these checks):
- define, edit, disarm, re-arm and resolve triggers, and create initiatives: architects;
- acknowledge a fired trigger and change an initiative's status (how another team's
  pipeline marks its initiative done, with an API token): architects or staff users.
  A pipeline therefore uses a token of a staff or architect service account.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config.accounts.roles import ARCHITECT, has_role, require_role
from config.history import tracked_save
from config.notifications import services as outbox

from . import probes
from .models import (
    Evaluation,
    FiredEvent,
    Initiative,
    Trigger,
    WebhookDelivery,
    local_today,
    start_of_day,
)

log = logging.getLogger(__name__)

K = Trigger.Kind
S = Trigger.State
BATCH_SIZE = 200
METRIC_CONCURRENCY = 8
DEFAULT_METRIC_INTERVAL_MINUTES = 60


# --- Permissions -------------------------------------------------------------------


def can_operate(user) -> bool:
    """Acknowledge fired triggers and change initiative status: architects or staff."""
    return bool(getattr(user, "is_active", False)) and (
        has_role(user, ARCHITECT) or bool(getattr(user, "is_staff", False))
    )


def require_operator(user) -> None:
    if not can_operate(user):
        raise PermissionDenied("This needs the architect role or a staff account.")


# --- Parameters --------------------------------------------------------------------


def _parse_day(value, label: str = "date") -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError({label: "Enter a date as YYYY-MM-DD."}) from exc


def _parse_lead_days(value) -> list[int]:
    if value in (None, ""):
        return list(settings.LEDGER_DEFAULT_LEAD_DAYS)
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    try:
        days = sorted({int(v) for v in value}, reverse=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"lead_days": "Lead days are whole numbers, e.g. 30, 7, 1."}) from exc
    if any(d <= 0 or d > 3650 for d in days):
        raise ValidationError({"lead_days": "Lead days are between 1 and 3650."})
    return days


def clean_params(kind: str, params: dict | None) -> dict:
    """Validate a kind's parameters; return the normalised dict (raises ValidationError)."""
    params = dict(params or {})
    if kind in (K.DATE, K.EXPIRY):
        if not params.get("date"):
            raise ValidationError({"date": "A date trigger needs its date."})
        return {
            "date": _parse_day(params["date"]).isoformat(),
            "lead_days": _parse_lead_days(params.get("lead_days")),
        }
    if kind == K.METRIC:
        url = str(params.get("url", "")).strip()
        if not url:
            raise ValidationError({"url": "A metric trigger needs the URL to poll."})
        try:
            probes.check_url(url)
        except probes.ProbeRefused as exc:
            raise ValidationError({"url": str(exc)}) from exc
        path = str(params.get("path", "")).strip()
        if not path:
            raise ValidationError({"path": "Give the dotted path of the number, e.g. data.users."})
        op = str(params.get("op", "")).strip()
        if op not in probes.OPERATORS:
            raise ValidationError({"op": f"Choose one of {', '.join(probes.OPERATORS)}."})
        try:
            threshold = float(params.get("threshold"))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"threshold": "The threshold is a number."}) from exc
        try:
            interval = int(params.get("interval_minutes") or DEFAULT_METRIC_INTERVAL_MINUTES)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"interval_minutes": "Minutes between probes."}) from exc
        if not 1 <= interval <= 7 * 24 * 60:
            raise ValidationError({"interval_minutes": "Between 1 minute and a week."})
        return {
            "url": url,
            "path": path,
            "op": op,
            "threshold": threshold,
            "interval_minutes": interval,
        }
    if kind in (K.INITIATIVE, K.WEBHOOK, K.MITIGATION_OVERDUE):
        return {}
    raise ValidationError({"kind": "Unknown kind of trigger."})


def _clean_addresses(text: str) -> str:
    lines = []
    for raw in (text or "").replace(",", "\n").splitlines():
        address = parseaddr(raw.strip())[1].lower()
        if not raw.strip():
            continue
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({"extra_addresses": f"Not an email address: {raw}"}) from exc
        lines.append(address)
    return "\n".join(dict.fromkeys(lines))


# --- Scheduling ---------------------------------------------------------------------


def _reminder_every() -> timedelta:
    return timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS)


def next_check(trigger: Trigger, now: datetime) -> datetime | None:
    """When the sweep must look at this trigger next (the value of `next_check_at`)."""
    if trigger.state in (S.ARMED, S.WARNED):
        if trigger.kind in (K.DATE, K.EXPIRY):
            fire_at = trigger.fire_at
            if fire_at is None:
                return None
            pending = [
                at
                for days, at in trigger.warning_instants()
                if days not in trigger.warnings_sent and at < fire_at
            ]
            return min([*pending, fire_at])
        if trigger.kind == K.METRIC:
            if trigger.last_checked_at is None:
                return now
            minutes = trigger.params.get("interval_minutes") or DEFAULT_METRIC_INTERVAL_MINUTES
            return max(trigger.last_checked_at + timedelta(minutes=minutes), now)
        if trigger.kind == K.INITIATIVE:
            initiative = trigger.initiative
            return now if initiative and initiative.status == Initiative.Status.DONE else None
        if trigger.kind == K.MITIGATION_OVERDUE:
            mitigation = trigger.mitigation
            if mitigation is None or mitigation.due_on is None:
                return None
            return start_of_day(mitigation.due_on + timedelta(days=1))
        return None  # webhooks fire when called
    if trigger.state == S.FIRED and trigger.fired_at:
        return trigger.fired_at + _reminder_every() * (trigger.reminders_sent + 1)
    return None


# --- Creating and changing triggers -------------------------------------------------


@transaction.atomic
def trigger_create(
    *,
    actor,
    name: str,
    kind: str,
    params: dict | None = None,
    description: str = "",
    justification: str = "",
    decisions: Iterable = (),
    risk_acceptance=None,
    sensitivity_note=None,
    initiative: Initiative | None = None,
    mitigation=None,
    watchers: Iterable = (),
    extra_addresses: str = "",
    escalation_contact=None,
    escalation_email: str = "",
    now: datetime | None = None,
) -> Trigger:
    require_role(actor, ARCHITECT)
    now = now or timezone.now()
    if kind == K.INITIATIVE and initiative is None:
        raise ValidationError({"initiative": "Choose the initiative this trigger waits for."})
    if kind == K.MITIGATION_OVERDUE and mitigation is None:
        raise ValidationError({"mitigation": "Choose the mitigation to watch."})
    if sensitivity_note is not None and not decisions:
        decisions = [sensitivity_note.decision]
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
        extra_addresses=_clean_addresses(extra_addresses),
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
    if watchers:
        trigger.watchers.set(list(watchers))
    return trigger


@transaction.atomic
def trigger_update(
    *,
    actor,
    trigger: Trigger,
    name: str,
    description: str = "",
    params: dict | None = None,
    decisions: Iterable | None = None,
    watchers: Iterable | None = None,
    extra_addresses: str = "",
    escalation_contact=None,
    escalation_email: str = "",
    now: datetime | None = None,
) -> Trigger:
    """Edit a live trigger. The date of a fired trigger is never changed here (re-arm it)."""
    require_role(actor, ARCHITECT)
    now = now or timezone.now()
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    trigger.name = name.strip()
    trigger.description = description
    trigger.extra_addresses = _clean_addresses(extra_addresses)
    trigger.escalation_contact = escalation_contact
    trigger.escalation_email = escalation_email.strip().lower()
    if params is not None and trigger.kind not in Trigger.AUTOMATIC_KINDS:
        if not trigger.is_live:
            raise ValidationError("Only an armed trigger's condition can be changed; re-arm it.")
        new = clean_params(trigger.kind, params)
        if new != trigger.params:
            trigger.params = new
            trigger.warnings_sent = []
            trigger.last_checked_at = None
            trigger.next_check_at = next_check(trigger, now)
    trigger.full_clean()
    tracked_save(trigger, actor=actor, reason="trigger edited")
    if decisions is not None:
        trigger.decisions.set(list(decisions))
    if watchers is not None:
        trigger.watchers.set(list(watchers))
    return trigger


def _set_state(trigger: Trigger, state: str, *, actor, reason: str, now: datetime) -> None:
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
    *, actor, trigger: Trigger, note: str = "", now: datetime | None = None
) -> Trigger:
    require_operator(actor)
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
    _set_state(trigger, S.ACKNOWLEDGED, actor=actor, reason=note or "acknowledged", now=now)
    return trigger


@transaction.atomic
def trigger_resolve(
    *, actor, trigger: Trigger, resolution: str, now: datetime | None = None
) -> Trigger:
    require_role(actor, ARCHITECT)
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
    _set_state(trigger, S.RESOLVED, actor=actor, reason=resolution.strip(), now=now)
    return trigger


@transaction.atomic
def trigger_disarm(*, actor, trigger: Trigger, reason: str, now: datetime | None = None) -> Trigger:
    require_role(actor, ARCHITECT)
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": "Say why the trigger is disarmed."})
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if trigger.state == S.DISARMED:
        raise ValidationError("The trigger is already disarmed.")
    _set_state(trigger, S.DISARMED, actor=actor, reason=f"disarmed: {reason.strip()}", now=now)
    return trigger


@transaction.atomic
def trigger_rearm(
    *,
    actor,
    trigger: Trigger,
    justification: str,
    params: dict | None = None,
    now: datetime | None = None,
) -> Trigger:
    """A fresh deferral: a new generation, a new justification (history keeps the old)."""
    require_role(actor, ARCHITECT)
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
    tracked_save(trigger, actor=actor, reason="re-armed with a new justification")
    return trigger


# --- Initiatives --------------------------------------------------------------------


@transaction.atomic
def initiative_create(
    *,
    actor,
    name: str,
    team: str = "",
    description: str = "",
    target_date: date | None = None,
    status: str = Initiative.Status.PLANNED,
) -> Initiative:
    require_role(actor, ARCHITECT)
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
    *, actor, initiative: Initiative, status: str, now: datetime | None = None
) -> Initiative:
    """Change the status; when it becomes *done*, its armed triggers fire (in this transaction)."""
    require_operator(actor)
    now = now or timezone.now()
    if status not in Initiative.Status.values:
        raise ValidationError({"status": f"Choose one of {', '.join(Initiative.Status.values)}."})
    initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if initiative.status == status:
        return initiative
    initiative.status = status
    initiative.done_at = now if status == Initiative.Status.DONE else None
    tracked_save(
        initiative,
        actor=actor,
        reason=f"status → {status}",
        update_fields=["status", "done_at"],
    )
    if status == Initiative.Status.DONE:
        waiting = (
            Trigger.objects.select_for_update()
            .filter(initiative=initiative, kind=K.INITIATIVE, state__in=Trigger.LIVE_STATES)
            .order_by("pk")
        )
        for trigger in waiting:
            trigger.initiative = initiative
            _record(trigger, now, Evaluation.Outcome.FIRED, observed="done")
            _fire(
                trigger,
                now=now,
                actor=actor,
                reason=f"The initiative “{initiative.name}” was marked done by {actor}.",
                details={"initiative": initiative.pk, "by": str(actor)},
            )
    return initiative


# --- Webhooks -----------------------------------------------------------------------


class WebhookRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


SIGNATURE_HEADER = "X-Ledger-Signature"
TIMESTAMP_HEADER = "X-Ledger-Timestamp"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with the trigger's secret."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_receive(
    *, trigger_uuid, body: bytes, timestamp: str, signature: str, now: datetime | None = None
) -> FiredEvent:
    """Verify and apply one webhook call. Raises WebhookRefused (nothing changed) on refusal."""
    now = now or timezone.now()
    signature = (signature or "").strip()
    if signature.startswith("sha256="):
        signature = signature[len("sha256=") :]
    try:
        ts = int((timestamp or "").strip())
    except ValueError as exc:
        raise WebhookRefused(
            400, "bad_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds."
        ) from exc
    with transaction.atomic():
        trigger = (
            Trigger.objects.select_for_update().filter(uuid=trigger_uuid, kind=K.WEBHOOK).first()
        )
        if trigger is None:
            raise WebhookRefused(404, "unknown_trigger", "No webhook trigger at this URL.")
        expected = webhook_signature(trigger.webhook_secret, str(ts), body)
        if not signature or not hmac.compare_digest(expected, signature.lower()):
            raise WebhookRefused(
                401,
                "bad_signature",
                f"{SIGNATURE_HEADER} is not the HMAC-SHA256 of '<timestamp>.<body>' "
                "with this trigger's secret.",
            )
        if abs(now.timestamp() - ts) > settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRefused(
                401,
                "stale_timestamp",
                f"The timestamp is more than {settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS} s "
                "away from the server's clock.",
            )
        if WebhookDelivery.objects.filter(signature=expected).exists():
            raise WebhookRefused(409, "replay", "This request was already received (replay).")
        if not trigger.is_live:
            raise WebhookRefused(
                409, "not_armed", f"The trigger is {trigger.get_state_display().lower()}."
            )
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(trigger=trigger, signature=expected, timestamp=ts)
        except IntegrityError as exc:
            raise WebhookRefused(409, "replay", "This request was already received.") from exc
        detail = body[:500].decode(errors="replace")
        _record(trigger, now, Evaluation.Outcome.FIRED, observed="webhook call")
        return _fire(
            trigger,
            now=now,
            actor=None,
            reason="The webhook was called with a valid signature.",
            details={"body": detail, "timestamp": ts},
        )


# --- Hooks registered with adr and risks (see apps.py) --------------------------------


def decision_has_armed_trigger(decision) -> bool:
    return Trigger.objects.filter(decisions=decision, state__in=Trigger.LIVE_STATES).exists()


def acceptance_submit_check(acceptance) -> str | None:
    has_one = (
        Trigger.objects.filter(risk_acceptance=acceptance, state__in=Trigger.LIVE_STATES)
        .exclude(kind__in=Trigger.AUTOMATIC_KINDS)
        .exists()
    )
    if has_one:
        return None
    return (
        "An acceptance needs at least one armed trigger besides its expiry "
        "(a date, an initiative, a metric or a webhook) before it goes to signature."
    )


def acceptance_saved(acceptance, actor=None) -> None:
    """Keep the acceptance's *expiry* trigger (and mitigation-overdue triggers) in step."""
    with transaction.atomic():
        _sync_expiry(acceptance, actor)
        _sync_mitigations(acceptance, actor)


def _sync_expiry(acceptance, actor) -> None:
    now = timezone.now()
    trigger = (
        Trigger.objects.select_for_update()
        .filter(risk_acceptance=acceptance, kind=K.EXPIRY)
        .order_by("-generation", "-pk")
        .first()
    )
    expires_on = acceptance.expires_on
    if trigger is None:
        if not expires_on:
            return
        trigger = Trigger(
            name=f"Expiry of “{acceptance.title}”"[:200],
            kind=K.EXPIRY,
            params=clean_params(K.EXPIRY, {"date": expires_on}),
            risk_acceptance=acceptance,
            description="Created with the risk acceptance from its expiry date.",
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        trigger.next_check_at = next_check(trigger, now)
        tracked_save(trigger, actor=actor, reason="expiry trigger created with the acceptance")
        trigger.decisions.set(list(acceptance.decisions.all()))
        return
    if set(trigger.decisions.values_list("pk", flat=True)) != set(
        acceptance.decisions.values_list("pk", flat=True)
    ):
        trigger.decisions.set(list(acceptance.decisions.all()))
    if not trigger.is_live:
        return  # an agreed date on a fired trigger is never overwritten
    if not expires_on:
        _set_state(trigger, S.DISARMED, actor=actor, reason="the acceptance has no expiry", now=now)
        return
    params = clean_params(K.EXPIRY, {"date": expires_on, "lead_days": trigger.lead_days})
    if params != trigger.params:
        trigger.params = params
        trigger.warnings_sent = []
        trigger.state = S.ARMED
        trigger.next_check_at = next_check(trigger, now)
        tracked_save(
            trigger,
            actor=actor,
            reason="expiry date changed on the acceptance",
            update_fields=["params", "warnings_sent", "state", "next_check_at"],
        )


def _sync_mitigations(acceptance, actor) -> None:
    now = timezone.now()
    existing = {
        t.mitigation_id: t
        for t in Trigger.objects.select_for_update().filter(
            risk_acceptance=acceptance, kind=K.MITIGATION_OVERDUE
        )
    }
    for mitigation in acceptance.mitigations.all():
        trigger = existing.get(mitigation.pk)
        if trigger is None:
            if mitigation.status != "planned" or not mitigation.due_on:
                continue
            trigger = Trigger(
                name=f"Mitigation overdue: {mitigation.description[:150]}",
                kind=K.MITIGATION_OVERDUE,
                params={},
                risk_acceptance=acceptance,
                mitigation=mitigation,
                description="Fires if this planned mitigation is still planned after its due date.",
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            trigger.next_check_at = next_check(trigger, now)
            tracked_save(trigger, actor=actor, reason="mitigation-overdue trigger created")
            trigger.decisions.set(list(acceptance.decisions.all()))
        elif trigger.is_live:
            due = next_check(trigger, now)
            if due != trigger.next_check_at:
                trigger.next_check_at = due
                tracked_save(
                    trigger,
                    actor=actor,
                    reason="mitigation due date changed",
                    update_fields=["next_check_at"],
                )


# --- Firing and notifying -----------------------------------------------------------


def _record(
    trigger: Trigger, now: datetime, outcome: str, *, observed: str = "", error: str = ""
) -> Evaluation:
    evaluation = Evaluation(
        trigger=trigger, at=now, outcome=outcome, observed=observed[:200], error=error[:2000]
    )
    tracked_save(evaluation, reason=f"evaluated: {outcome}")
    return evaluation


def _recipients(trigger: Trigger, *, escalate: bool = False) -> tuple[list, list[str]]:
    """(users, extra addresses) to tell about this trigger."""
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


def _notify(trigger: Trigger, *, key: str, event: str, template: str, context: dict, **kw) -> int:
    users, addresses = _recipients(trigger, **kw)
    ctx = {
        "trigger": trigger,
        "trigger_url": settings.SITE_URL.rstrip("/") + trigger.get_absolute_url(),
        "acceptance": trigger.risk_acceptance,
        "decisions": list(trigger.decisions.all()),
        "reminder_days": settings.LEDGER_REMINDER_EVERY_DAYS,
        **context,
    }
    rows = outbox.notify_users(
        users=users, event=event, key=key, template=template, context=ctx, about=trigger
    )
    count = len(rows)
    user_addresses = {(u.email or "").strip().lower() for u in users}
    for address in addresses:
        if address in user_addresses:
            continue
        row = outbox.notification_enqueue(
            recipient=address,
            event=event,
            dedupe_key=f"{key}:{address}",
            template=template,
            context=ctx,
            about=trigger,
        )
        count += row is not None
    return count


def _acceptance_effect(trigger: Trigger, reason: str, actor) -> str:
    acceptance = trigger.risk_acceptance
    if acceptance is None:
        return ""
    from risks import services as risk_services

    try:
        if trigger.kind == K.EXPIRY:
            risk_services.acceptance_expire(acceptance=acceptance, actor=actor)
            return "acceptance expired"
        risk_services.acceptance_mark_triggered(acceptance=acceptance, reason=reason, actor=actor)
        return "acceptance triggered"
    except (ValidationError, ValueError) as exc:
        # e.g. a draft acceptance cannot become triggered: the trigger still fires.
        log.info("trigger %s: acceptance %s unchanged: %s", trigger.pk, acceptance.pk, exc)
        return f"acceptance unchanged: {exc}"


def _fire(trigger: Trigger, *, now: datetime, actor, reason: str, details: dict) -> FiredEvent:
    """Fire a locked, live trigger: event, state, acceptance, decisions, emails (one txn)."""
    from adr.services import decision_flag_review

    event = FiredEvent(
        trigger=trigger,
        generation=trigger.generation,
        fired_at=now,
        reason=reason[:500],
        details=details,
    )
    tracked_save(event, actor=actor, reason="fired")
    trigger.state = S.FIRED
    trigger.state_reason = reason[:500]
    trigger.fired_at = now
    trigger.reminders_sent = 0
    trigger.last_checked_at = now
    trigger.next_check_at = next_check(trigger, now)
    tracked_save(
        trigger,
        actor=actor,
        reason="fired",
        update_fields=[
            "state",
            "state_reason",
            "fired_at",
            "reminders_sent",
            "last_checked_at",
            "next_check_at",
        ],
    )
    effect = _acceptance_effect(trigger, reason, actor)
    decisions = list(trigger.decisions.all())
    if trigger.sensitivity_note is not None and trigger.sensitivity_note.decision not in decisions:
        decisions.append(trigger.sensitivity_note.decision)
    for decision in sorted(decisions, key=lambda d: d.pk):
        decision_flag_review(
            decision=decision, reason=f"Trigger “{trigger.name}” fired: {reason}", actor=actor
        )
    if effect:
        event.details = {**details, "effect": effect}
        tracked_save(event, actor=actor, reason="effects recorded", update_fields=["details"])
    _notify(
        trigger,
        key=f"trigger:{trigger.pk}:fired:{event.pk}",
        event="trigger.fired",
        template="trigger-fired",
        context={"event": event, "reason": reason},
    )
    return event


# --- The sweep ----------------------------------------------------------------------


@dataclass
class SweepResult:
    checked: int = 0
    fired: int = 0
    warned: int = 0
    reminded: int = 0
    probe_errors: int = 0
    batches: int = 0
    requeued: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"checked {self.checked}, fired {self.fired}, warned {self.warned}, "
            f"reminded {self.reminded}, probe errors {self.probe_errors}, "
            f"batches {self.batches}, outbox {self.requeued}"
        )


def _due(now: datetime):
    live_or_fired = Q(state__in=[S.ARMED, S.WARNED, S.FIRED])
    return Trigger.objects.filter(live_or_fired, next_check_at__lte=now)


def _run_probes(now: datetime) -> dict[int, probes.ProbeResult]:
    """Probe every due metric trigger with bounded concurrency, outside any transaction."""
    rows = list(
        _due(now)
        .filter(kind=K.METRIC, state__in=Trigger.LIVE_STATES)
        .values_list("pk", "params")[:1000]
    )
    if not rows:
        return {}
    workers = getattr(settings, "LEDGER_METRIC_CONCURRENCY", METRIC_CONCURRENCY)
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(rows)))) as pool:
        results = pool.map(lambda row: (row[0], probes.probe(row[1])), rows)
        return dict(results)


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """One evaluation pass: everything due on or before `now`, in short batch transactions.

    Run by the Celery beat task `triggers.tasks.sweep_triggers` and by
    `manage.py sweep_triggers`. Each batch is claimed with SELECT … FOR UPDATE SKIP
    LOCKED, so overlapping sweeps never handle the same trigger; evaluations, firing
    and outbox rows commit together, and emails are sent by a task enqueued on commit.
    """
    now = now or timezone.now()
    result = SweepResult()
    probe_results = _run_probes(now)
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            candidates = (
                _due(now)
                .filter(~Q(kind=K.METRIC) | Q(pk__in=list(probe_results)) | Q(state=S.FIRED))
                .exclude(pk__in=seen)
                .order_by("next_check_at", "pk")
                .select_for_update(skip_locked=True, of=("self",))[:batch_size]
            )
            batch = list(candidates)
            if not batch:
                break
            result.batches += 1
            _prefetch(batch)
            for trigger in batch:
                seen.add(trigger.pk)
                _handle(trigger, now, probe_results.get(trigger.pk), result)
    _prune_deliveries(now)
    with transaction.atomic():
        result.requeued = outbox.notifications_requeue_pending(now=now)
    return result


def _prefetch(batch: list[Trigger]) -> None:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        batch,
        "watchers",
        "decisions__log",
        "initiative",
        "mitigation",
        "escalation_contact",
        "sensitivity_note__decision__log",
        "risk_acceptance__owner",
        "risk_acceptance__signatories__user",
    )


def _handle(trigger: Trigger, now: datetime, probe, result: SweepResult) -> None:
    result.checked += 1
    if trigger.state == S.FIRED:
        _remind(trigger, now, result)
        return
    if trigger.kind in (K.DATE, K.EXPIRY):
        _evaluate_date(trigger, now, result)
    elif trigger.kind == K.METRIC:
        _evaluate_metric(trigger, now, probe, result)
    elif trigger.kind == K.INITIATIVE:
        if trigger.initiative and trigger.initiative.status == Initiative.Status.DONE:
            _record(trigger, now, Evaluation.Outcome.FIRED, observed="done")
            _fire(
                trigger,
                now=now,
                actor=None,
                reason=f"The initiative “{trigger.initiative.name}” is done.",
                details={"initiative": trigger.initiative.pk},
            )
            result.fired += 1
        else:
            _reschedule(trigger, now)
    elif trigger.kind == K.MITIGATION_OVERDUE:
        _evaluate_mitigation(trigger, now, result)
    else:
        _reschedule(trigger, now)


def _reschedule(trigger: Trigger, now: datetime, *fields: str, reason: str = "checked") -> None:
    trigger.last_checked_at = now
    trigger.next_check_at = next_check(trigger, now)
    if trigger.next_check_at is not None and trigger.next_check_at <= now:
        trigger.next_check_at = None  # nothing more to do until something changes
    tracked_save(
        trigger,
        reason=reason,
        update_fields=["last_checked_at", "next_check_at", *fields],
    )


def _evaluate_date(trigger: Trigger, now: datetime, result: SweepResult) -> None:
    fire_at = trigger.fire_at
    if fire_at is None:
        _record(trigger, now, Evaluation.Outcome.ERROR, error="No valid date in the parameters.")
        trigger.next_check_at = None
        tracked_save(trigger, reason="invalid date", update_fields=["next_check_at"])
        return
    day = trigger.fire_day.isoformat()
    if now >= fire_at:
        _record(trigger, now, Evaluation.Outcome.FIRED, observed=day)
        if trigger.kind == K.EXPIRY:
            reason = f"The risk acceptance expired on {day}."
        else:
            reason = f"The date {day} has arrived."
        _fire(trigger, now=now, actor=None, reason=reason, details={"date": day})
        result.fired += 1
        return
    due = [(d, at) for d, at in trigger.warning_instants() if at <= now]
    unsent = [d for d, _ in due if d not in trigger.warnings_sent]
    if not unsent:
        _record(trigger, now, Evaluation.Outcome.NOT_MET, observed=local_today(now).isoformat())
        _reschedule(trigger, now)
        return
    # After downtime only the nearest warning goes out; the skipped ones count as sent.
    lead = min(unsent)
    days_left = (trigger.fire_day - local_today(now)).days
    _record(trigger, now, Evaluation.Outcome.WARNED, observed=f"{days_left} days left")
    trigger.warnings_sent = sorted({*trigger.warnings_sent, *unsent}, reverse=True)
    trigger.state = S.WARNED
    _reschedule(trigger, now, "warnings_sent", "state", reason=f"warning {lead} days before")
    _notify(
        trigger,
        key=f"trigger:{trigger.pk}:g{trigger.generation}:warn:{day}:{lead}",
        event="trigger.warning",
        template="trigger-warning",
        context={"days_left": days_left, "lead": lead, "day": trigger.fire_day},
    )
    result.warned += 1


def _evaluate_metric(trigger: Trigger, now: datetime, probe, result: SweepResult) -> None:
    if probe is None:  # became due after the probes ran: next sweep
        return
    if not probe.ok:
        result.probe_errors += 1
        trigger.consecutive_failures += 1
        _record(trigger, now, Evaluation.Outcome.ERROR, observed=probe.observed, error=probe.error)
        _reschedule(trigger, now, "consecutive_failures", reason="probe failed")
        if trigger.consecutive_failures == settings.LEDGER_METRIC_FAILURES_BEFORE_ALERT:
            trigger.probe_alerts += 1
            tracked_save(trigger, reason="probe reported broken", update_fields=["probe_alerts"])
            _notify(
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
        _record(trigger, now, Evaluation.Outcome.FIRED, observed=probe.observed)
        tracked_save(trigger, reason="probe ok", update_fields=["consecutive_failures"])
        reason = (
            f"The metric read {probe.observed}, which is {params['op']} {params['threshold']:g}."
        )
        _fire(trigger, now=now, actor=None, reason=reason, details={"value": probe.value})
        result.fired += 1
        return
    _record(trigger, now, Evaluation.Outcome.NOT_MET, observed=probe.observed)
    _reschedule(trigger, now, "consecutive_failures", reason="probe ok")


def _evaluate_mitigation(trigger: Trigger, now: datetime, result: SweepResult) -> None:
    mitigation = trigger.mitigation
    acceptance = trigger.risk_acceptance
    if mitigation is None or mitigation.due_on is None:
        _reschedule(trigger, now)
        return
    overdue = local_today(now) > mitigation.due_on
    status = mitigation.get_status_display()
    if not overdue or mitigation.status != "planned":
        _record(trigger, now, Evaluation.Outcome.NOT_MET, observed=status)
        _reschedule(trigger, now)
        return
    if acceptance is not None and acceptance.state != "accepted":
        # Only an accepted risk rests on its mitigations; look again tomorrow.
        _record(
            trigger,
            now,
            Evaluation.Outcome.NOT_MET,
            observed=f"{status}; acceptance {acceptance.get_state_display().lower()}",
        )
        trigger.last_checked_at = now
        trigger.next_check_at = start_of_day(local_today(now) + timedelta(days=1))
        tracked_save(trigger, reason="checked", update_fields=["last_checked_at", "next_check_at"])
        return
    _record(trigger, now, Evaluation.Outcome.FIRED, observed=status)
    reason = (
        f"The mitigation “{mitigation.description[:120]}” is still planned after its due date "
        f"{mitigation.due_on.isoformat()}."
    )
    _fire(trigger, now=now, actor=None, reason=reason, details={"mitigation": mitigation.pk})
    result.fired += 1


def _remind(trigger: Trigger, now: datetime, result: SweepResult) -> None:
    """Re-announce an unacknowledged fired trigger; after N reminders, escalate."""
    if not trigger.fired_at:
        _reschedule(trigger, now)
        return
    elapsed = int((now - trigger.fired_at) / _reminder_every())
    if elapsed <= trigger.reminders_sent:
        _reschedule(trigger, now)
        return
    # After downtime, one reminder (numbered as the latest one due) goes out.
    trigger.reminders_sent = elapsed
    number = elapsed
    escalate = number >= settings.LEDGER_REMINDERS_BEFORE_ESCALATION
    _reschedule(trigger, now, "reminders_sent", reason=f"reminder {number}")
    event = FiredEvent.objects.filter(trigger=trigger, generation=trigger.generation).first()
    _notify(
        trigger,
        key=f"trigger:{trigger.pk}:fired:{event.pk if event else 0}:reminder:{number}",
        event="trigger.reminder",
        template="trigger-reminder",
        context={"event": event, "number": number, "escalated": escalate},
        escalate=escalate,
    )
    result.reminded += 1


def _prune_deliveries(now: datetime) -> None:
    """Signatures older than twice the tolerance cannot be replayed (their timestamp is stale)."""
    cutoff = now - timedelta(seconds=2 * settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS + 60)
    # These rows are a replay guard, not audited content (no history).
    WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()

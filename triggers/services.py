"""Writes for triggers and initiatives, and the sweep that evaluates due triggers.

Who may do what (the web UI and the API share these checks):
- define, edit, disarm, re-arm and resolve triggers, and create initiatives: architects;
- change an initiative's status (how another team's pipeline marks its initiative done,
  with an API token): architects or staff users. A pipeline therefore uses a token of a
  staff or architect service account;
- acknowledge a fired trigger: architects and staff, and everyone the trigger involves
  who can read the ledger — its watchers, the acceptance's owner and signatories, the
  escalation contact (``triggers.access.may_acknowledge``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from config import concurrency
from config.accounts.roles import ARCHITECT, has_role, require_role
from config.history import tracked_save

from . import access, probes
from .models import Evaluation, FiredEvent, Initiative, Trigger, WebhookDelivery
from .schedule import DEFAULT_METRIC_INTERVAL_MINUTES, next_check
from .sweep import SweepResult, Work, sweep

__all__ = ["sweep", "SweepResult"]

log = logging.getLogger(__name__)

K = Trigger.Kind
S = Trigger.State


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
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationError({label: "Enter a date as YYYY-MM-DD."}) from exc
    # Lead days and time zones move the instant by years: keep clear of date.min/max.
    if not 1900 <= value.year <= 2999:
        raise ValidationError({label: "Give a date between the years 1900 and 2999."})
    return value


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
    if kind == K.INITIATIVE:
        if initiative is None:
            raise ValidationError({"initiative": "Choose the initiative this trigger waits for."})
        initiative = Initiative.objects.get(pk=initiative.pk)  # its current status
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
    expected_version: int | None = None,
) -> Trigger:
    """Edit a live trigger. The date of a fired trigger is never changed here (re-arm it).

    Writes only what the edit changes, from the locked row: the sweep's bookkeeping
    (state, fired_at, reminders…) written meanwhile stays. `expected_version` is the
    version the editor loaded (ConflictError if it moved on)."""
    require_role(actor, ARCHITECT)
    now = now or timezone.now()
    reason = "trigger edited"
    with concurrency.one_bump():
        trigger = concurrency.lock(trigger)
        concurrency.check_version(trigger, expected_version)
        changed = concurrency.assign(
            trigger,
            name=name.strip(),
            description=description,
            extra_addresses=_clean_addresses(extra_addresses),
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
        for relation, wanted in (("decisions", decisions), ("watchers", watchers)):
            if wanted is None:
                continue
            manager = getattr(trigger, relation)
            wanted = list(wanted)
            if {obj.pk for obj in wanted} != set(manager.values_list("pk", flat=True)):
                # Version first: the m2m history row then carries the new version.
                concurrency.touch(trigger, actor=actor, reason=reason, locked=True)
                manager.set(wanted)
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
    if not access.may_acknowledge(actor, trigger):
        raise PermissionDenied(
            "Only the trigger's watchers, the acceptance's owner and signatories, its "
            "escalation contact, architects and staff can acknowledge it."
        )
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
    *,
    actor,
    initiative: Initiative,
    status: str,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Initiative:
    """Change the status; when it becomes *done*, its armed triggers fire (in this transaction).

    `expected_version`: the version the page or API client saw (ConflictError if it moved
    on); setting the status it already has is a no-op, whatever the version."""
    require_operator(actor)
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
    if b"\x00" in body:  # stored as text below, which PostgreSQL cannot hold NUL in
        raise WebhookRefused(400, "nul_byte", "The body must not contain NUL bytes.")
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
        work = Work(now)
        work.record(trigger, Evaluation.Outcome.FIRED, observed="webhook call")
        work.fire(
            trigger,
            reason="The webhook was called with a valid signature.",
            details={"body": detail, "timestamp": ts},
        )
        return work.flush()[0]


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
    """Keep the acceptance's *expiry* trigger (and mitigation-overdue triggers) in step.

    Runs inside the risks transaction, which holds the acceptance's row lock, while a sweep
    holds trigger locks and then locks acceptances: to never wait in the opposite order
    (a deadlock), the triggers are locked with NOWAIT here; if a sweep has one right now,
    the sync runs again just after this transaction commits, when the wait is harmless.
    """
    try:
        with transaction.atomic():
            _sync_expiry(acceptance, actor, nowait=True)
            _sync_mitigations(acceptance, actor, nowait=True)
    except DatabaseError:
        pk = acceptance.pk
        transaction.on_commit(lambda: _resync_after_commit(pk, actor))


def _resync_after_commit(acceptance_pk: int, actor) -> None:
    from risks.models import RiskAcceptance

    acceptance = RiskAcceptance.objects.filter(pk=acceptance_pk).first()
    if acceptance is None:
        return
    with transaction.atomic():
        _sync_expiry(acceptance, actor)
        _sync_mitigations(acceptance, actor)


def _sync_expiry(acceptance, actor, *, nowait: bool = False) -> None:
    now = timezone.now()
    trigger = (
        Trigger.objects.select_for_update(nowait=nowait)
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


def _sync_mitigations(acceptance, actor, *, nowait: bool = False) -> None:
    now = timezone.now()
    existing = {
        t.mitigation_id: t
        for t in Trigger.objects.select_for_update(nowait=nowait).filter(
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

"""What triggers contributes to adr and risks (registered in `triggers.apps`; adr and
risks never import triggers):

- a decision with an armed trigger counts as a deferral alternative (adr);
- an acceptance goes to signature only with an armed trigger besides its expiry (risks);
- saving an acceptance keeps its *expiry* trigger and *mitigation-overdue* triggers in
  step with its expiry date and planned mitigations (risks).
"""

from __future__ import annotations

from django.db import DatabaseError, transaction
from django.utils import timezone

from config.history import tracked_save

from .evaluate import next_check
from .models import Trigger
from .params import clean_params
from .services import set_state

K = Trigger.Kind
S = Trigger.State


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


def _create_automatic(acceptance, actor, now, *, reason: str, **fields) -> Trigger:
    """An expiry or mitigation-overdue trigger, made by the acceptance's save (no form)."""
    trigger = Trigger(
        risk_acceptance=acceptance,
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    trigger.next_check_at = next_check(trigger, now)
    tracked_save(trigger, actor=actor, reason=reason)
    trigger.decisions.set(list(acceptance.decisions.all()))
    return trigger


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
        _create_automatic(
            acceptance,
            actor,
            now,
            reason="expiry trigger created with the acceptance",
            name=f"Expiry of “{acceptance.title}”"[:200],
            kind=K.EXPIRY,
            params=clean_params(K.EXPIRY, {"date": expires_on}),
            description="Created with the risk acceptance from its expiry date.",
        )
        return
    if set(trigger.decisions.values_list("pk", flat=True)) != set(
        acceptance.decisions.values_list("pk", flat=True)
    ):
        trigger.decisions.set(list(acceptance.decisions.all()))
    if not trigger.is_live:
        return  # an agreed date on a fired trigger is never overwritten
    if not expires_on:
        set_state(trigger, S.DISARMED, actor=actor, reason="the acceptance has no expiry", now=now)
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
            _create_automatic(
                acceptance,
                actor,
                now,
                reason="mitigation-overdue trigger created",
                name=f"Mitigation overdue: {mitigation.description[:150]}",
                kind=K.MITIGATION_OVERDUE,
                params={},
                mitigation=mitigation,
                description="Fires if this planned mitigation is still planned after its due date.",
            )
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

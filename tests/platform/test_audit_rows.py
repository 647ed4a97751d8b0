"""Audit rows are never deleted or edited by the app, the admin or a cascade (config.audit).

Each test snapshots every audit row (evaluations, fired events, webhook deliveries,
signatures, signing attempts, the outbox) in full and every history row's id, tries to
delete a parent, and checks the snapshot is unchanged and no history row went away.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError

from adr.models import Decision, DecisionLog
from config.audit import delete_or_refuse
from risks import services as risks
from risks.models import Mitigation, RiskAcceptance, Signature
from tests.conftest import make_user, require_postgres
from tests.platform.ledger import assert_history_kept, audit_snapshot, build_ledger, history_ids
from triggers.models import Evaluation, FiredEvent, Trigger
from triggers.services import trigger_acknowledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(architect, stakeholder, stakeholder2, auditor, log):
    return build_ledger(
        architect=architect, signers=[stakeholder, stakeholder2], log=log, watcher=auditor
    )


def refused(delete) -> ProtectedError:
    """Run `delete` in a savepoint; it must raise ProtectedError (and so delete nothing)."""
    with pytest.raises(ProtectedError) as caught, transaction.atomic():
        delete()
    return caught.value


def test_the_ledger_has_every_kind_of_audit_row(ledger):
    snapshot = audit_snapshot()
    assert all(snapshot.values()), {label: len(rows) for label, rows in snapshot.items()}
    assert ledger.overdue.fired_events.exists() and ledger.overdue.evaluations.exists()
    assert ledger.webhook.deliveries.exists()


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_deleting_a_trigger_with_audit_rows_is_refused(ledger, how):
    before, history = audit_snapshot(), history_ids()
    for trigger in (ledger.overdue, ledger.webhook):
        if how == "instance":
            error = refused(trigger.delete)
        else:
            error = refused(Trigger.objects.filter(pk=trigger.pk).delete)
        assert {type(o) for o in error.protected_objects} & {Evaluation, FiredEvent}
    refused(Trigger.objects.all().delete)
    assert Trigger.objects.filter(pk__in=[ledger.overdue.pk, ledger.webhook.pk]).count() == 2
    assert audit_snapshot() == before
    assert_history_kept(history)


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_deleting_an_acceptance_is_refused(ledger, how):
    before, history = audit_snapshot(), history_ids()
    if how == "instance":
        refused(ledger.acceptance.delete)
    else:
        refused(RiskAcceptance.objects.all().delete)
    assert RiskAcceptance.objects.filter(pk=ledger.acceptance.pk).exists()
    assert audit_snapshot() == before
    assert_history_kept(history)


def test_an_unsigned_draft_with_a_trigger_is_not_deleted_with_its_trigger(
    architect, stakeholder, log
):
    """Even without signatures the cascade would have taken the trigger's audit rows."""
    from triggers.firing import Work
    from triggers.services import trigger_create

    draft = risks.acceptance_create(
        actor=architect, title="t", risk_statement="r", owner=stakeholder
    )
    trigger = trigger_create(
        actor=architect,
        name="Pipeline",
        kind="webhook",
        risk_acceptance=draft,
    )
    work = Work(trigger.created_at)
    work.record(trigger, Evaluation.Outcome.NOT_MET, observed="looked once")
    work.flush()
    assert Evaluation.objects.filter(trigger=trigger).count() == 1
    refused(draft.delete)
    assert Evaluation.objects.filter(trigger=trigger).count() == 1


def test_deleting_a_mitigation_directly_is_refused(ledger):
    before, history = audit_snapshot(), history_ids()
    refused(ledger.mitigation.delete)
    refused(Mitigation.objects.filter(acceptance=ledger.acceptance).delete)
    assert Mitigation.objects.filter(pk=ledger.mitigation.pk).exists()
    assert audit_snapshot() == before
    assert_history_kept(history)


def test_removing_a_mitigation_retires_its_fired_trigger_and_keeps_its_events(ledger, architect):
    """The issue's case: the document drops a mitigation whose overdue trigger fired."""
    overdue = ledger.overdue
    evaluations = list(overdue.evaluations.values_list("pk", "outcome"))
    events = list(overdue.fired_events.values_list("pk", "reason"))
    assert events and evaluations
    before, history = audit_snapshot(), history_ids()
    kept = ledger.acceptance.mitigations.exclude(pk=ledger.mitigation.pk).get()

    risks.acceptance_update(
        actor=architect,
        acceptance=ledger.acceptance,
        mitigations=[{"id": kept.pk, "description": kept.description, "status": kept.status}],
        reason="short tokens dropped",
    )

    assert not Mitigation.objects.filter(pk=ledger.mitigation.pk).exists()
    assert Mitigation.history.filter(id=ledger.mitigation.pk, history_type="-").exists()
    overdue.refresh_from_db()
    assert overdue.mitigation_id is None
    assert overdue.state == "disarmed" and overdue.next_check_at is None
    assert "its mitigation was removed" in overdue.state_reason
    assert overdue.risk_acceptance_id == ledger.acceptance.pk
    last = overdue.history.order_by("-history_id").first()
    assert last.history_change_reason.startswith("retired:") and last.history_user == architect
    assert list(overdue.evaluations.values_list("pk", "outcome")) == evaluations
    assert list(overdue.fired_events.values_list("pk", "reason")) == events
    after = audit_snapshot()
    # The edit voided the signatures (their `void` columns changed: that is the service's
    # rule, recorded in history) and queued emails; nothing else changed or went away.
    for label in ("triggers.Evaluation", "triggers.FiredEvent", "triggers.WebhookDelivery"):
        assert after[label] == before[label], label
    assert len(after["risks.Signature"]) == len(before["risks.Signature"])
    assert set(before["notifications.Notification"]) <= set(after["notifications.Notification"])
    assert_history_kept(history)


def test_a_resolved_trigger_keeps_its_state_when_its_mitigation_goes(ledger, architect):
    from triggers.services import trigger_resolve

    trigger_resolve(actor=architect, trigger=ledger.overdue, resolution="done another way")
    kept = ledger.acceptance.mitigations.exclude(pk=ledger.mitigation.pk).get()
    risks.acceptance_update(
        actor=architect,
        acceptance=ledger.acceptance,
        mitigations=[{"id": kept.pk, "description": kept.description, "status": kept.status}],
    )
    ledger.overdue.refresh_from_db()
    assert ledger.overdue.state == "resolved" and ledger.overdue.mitigation_id is None


def test_removing_a_signatory_who_signed_leaves_their_signature_untouched(
    ledger, architect, stakeholder2
):
    signature = Signature.objects.get(user=stakeholder2)
    row = Signature.objects.filter(pk=signature.pk).values_list().get()
    line = ledger.acceptance.signatories.get(user=stakeholder2)
    line_id = line.pk

    risks.signatory_remove(actor=architect, signatory=line)

    assert not ledger.acceptance.signatories.filter(pk=line_id).exists()
    # Voided by the content change (a service rule, in history) — otherwise as it was,
    # the removed line's id included.
    after = Signature.objects.filter(pk=signature.pk).values_list().get()
    changed = {
        field.attname
        for field, old, new in zip(Signature._meta.concrete_fields, row, after, strict=True)
        if old != new
    }
    assert changed == {"void", "voided_at", "void_reason"}
    assert Signature.objects.get(pk=signature.pk).signatory_id == line_id


def test_a_decision_log_with_decisions_is_not_deleted(ledger, log):
    before = audit_snapshot()
    refused(log.delete)
    refused(DecisionLog.objects.all().delete)
    assert audit_snapshot() == before


def test_deleting_a_decision_takes_no_audit_row_with_it(ledger):
    """No path in the app deletes a decision; even a raw ORM delete keeps the audit rows
    (triggers are linked many-to-many, so they stay with their evaluations and events)."""
    before, history = audit_snapshot(), history_ids()
    Decision.objects.filter(pk=ledger.decision.pk).delete()
    assert audit_snapshot() == before
    assert_history_kept(history)
    assert Trigger.objects.filter(pk=ledger.sunset.pk).exists()
    assert Decision.history.filter(id=ledger.decision.pk, history_type="-").exists()


@pytest.mark.parametrize("who", ["signer", "watcher_who_acknowledged", "architect"])
def test_a_user_on_record_is_never_deleted(ledger, who, stakeholder, auditor, architect):
    user = {"signer": stakeholder, "watcher_who_acknowledged": auditor, "architect": architect}[who]
    if who == "watcher_who_acknowledged":
        auditor.is_staff = True
        auditor.save(update_fields=["is_staff"])
        trigger_acknowledge(actor=auditor, trigger=ledger.webhook)
    before, history = audit_snapshot(), history_ids()
    refused(user.delete)
    refused(get_user_model().objects.filter(pk=user.pk).delete)
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert audit_snapshot() == before
    assert_history_kept(history)


def test_a_user_who_only_acted_in_history_is_not_deleted(django_user_model, architect):
    """No signature, attempt, event or email: only history rows name them as the actor."""
    from adr.services import log_create

    actor = make_user(django_user_model, "hank", "architect")
    log_create(actor=actor, key="HNK", name="Hank's log")
    history = history_ids()
    error = refused(actor.delete)
    assert "Deactivate the account instead" in str(error)
    assert DecisionLog.history.filter(history_user=actor).count() == 1
    assert_history_kept(history)


def test_a_user_who_never_acted_can_be_deleted(django_user_model):
    """The guard is about the record, not a blanket ban: a mistaken account goes."""
    user = make_user(django_user_model, "typo", None)
    user.delete()
    assert not django_user_model.objects.filter(username="typo").exists()


def test_a_service_delete_that_hits_audit_rows_is_refused_with_the_reason(ledger, architect):
    before = audit_snapshot()
    with pytest.raises(ValidationError) as caught:
        delete_or_refuse(ledger.webhook, actor=architect, reason="tidy up")
    message = caught.value.messages[0]
    assert "Pipeline says go" in message
    assert "evaluation" in message and "fired event" in message and "webhook deliver" in message
    assert Trigger.objects.filter(pk=ledger.webhook.pk).exists()
    assert audit_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_removing_a_mitigation_while_a_sweep_holds_its_trigger_is_refused_and_changes_nothing(
    architect, stakeholder, stakeholder2, auditor, log
):
    """Two connections: a 'sweep' holds the overdue trigger's row lock; the edit that drops
    its mitigation must neither wait (the sweep locks acceptances next: a deadlock) nor
    go on without retiring the trigger. It is refused, and a later save goes through."""
    require_postgres()
    ledger = build_ledger(
        architect=architect, signers=[stakeholder, stakeholder2], log=log, watcher=auditor
    )
    kept = ledger.acceptance.mitigations.exclude(pk=ledger.mitigation.pk).get()
    rows = [{"id": kept.pk, "description": kept.description, "status": kept.status}]
    locked, release = threading.Event(), threading.Event()

    def sweep_holding_the_trigger():
        try:
            with transaction.atomic():
                Trigger.objects.select_for_update().get(pk=ledger.overdue.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=sweep_holding_the_trigger)
    holder.start()
    try:
        assert locked.wait(timeout=30), "the other connection never took the lock"
        before = audit_snapshot()
        with pytest.raises(ValidationError, match="being checked right now"):
            risks.acceptance_update(actor=architect, acceptance=ledger.acceptance, mitigations=rows)
        assert holder.is_alive()  # the lock was still held when the edit was refused
    finally:
        release.set()
        holder.join()
    assert Mitigation.objects.filter(pk=ledger.mitigation.pk).exists()
    assert audit_snapshot() == before
    ledger.overdue.refresh_from_db()
    assert ledger.overdue.state == "fired" and ledger.overdue.mitigation_id

    risks.acceptance_update(actor=architect, acceptance=ledger.acceptance, mitigations=rows)
    ledger.overdue.refresh_from_db()
    assert ledger.overdue.state == "disarmed" and ledger.overdue.mitigation_id is None
    assert ledger.overdue.fired_events.count() == 1

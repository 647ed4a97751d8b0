"""How triggers plug into risk acceptances and decisions (the hooks registered in apps.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.notifications.models import Notification
from tests.triggers.conftest import make_acceptance
from triggers.models import FiredEvent, Trigger, start_of_day
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def signers(stakeholder, stakeholder2, stakeholder3):
    return [stakeholder, stakeholder2, stakeholder3]


def test_an_acceptance_goes_to_signature_only_with_an_armed_trigger_besides_its_expiry(
    architect, stakeholder, stakeholder2, deferred_decision
):
    from risks import services as risk_services

    acceptance = risk_services.acceptance_create(
        actor=architect,
        title="Tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        expires_on=timezone.localdate() + timedelta(days=90),
        signatories=[{"user": stakeholder2, "meaning": "security"}],
    )
    assert Trigger.objects.filter(risk_acceptance=acceptance, kind="expiry").count() == 1
    with pytest.raises(ValidationError, match="at least one armed trigger besides its expiry"):
        risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
    trigger_create(
        actor=architect,
        name="Pentest retest",
        kind="webhook",
        risk_acceptance=acceptance,
    )
    risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
    acceptance.refresh_from_db()
    assert acceptance.state == "awaiting"


def test_changing_the_expiry_date_moves_the_expiry_trigger_but_never_a_fired_one(
    architect, stakeholder, signers, deferred_decision
):
    from risks import services as risk_services

    today = timezone.localdate()
    acceptance, _ = make_acceptance(
        architect=architect,
        owner=stakeholder,
        signers=signers,
        decisions=[deferred_decision],
        expires_on=today + timedelta(days=60),
        sign=False,
    )
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    assert expiry.fire_day == today + timedelta(days=60)
    assert list(expiry.decisions.all()) == [deferred_decision]
    risk_services.acceptance_update(
        actor=architect, acceptance=acceptance, expires_on=today + timedelta(days=80)
    )
    expiry.refresh_from_db()
    assert expiry.fire_day == today + timedelta(days=80)
    assert expiry.deadline_at == start_of_day(today + timedelta(days=80))

    risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
    for user in signers:
        from tests.conftest import PASSWORD

        risk_services.acceptance_sign(
            actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )
    with time_machine.travel(start_of_day(today + timedelta(days=80)) + timedelta(hours=1)):
        sweep()
    expiry.refresh_from_db()
    assert expiry.state == "fired"
    acceptance.refresh_from_db()
    assert acceptance.state == "expired"
    # A later edit (e.g. the renewal draft's date) does not rewrite the agreed, fired date.
    from triggers.plugins import acceptance_saved

    acceptance.expires_on = today + timedelta(days=200)
    acceptance_saved(acceptance, architect)
    expiry.refresh_from_db()
    assert expiry.fire_day == today + timedelta(days=80)
    assert FiredEvent.objects.filter(trigger=expiry).count() == 1


def test_a_planned_mitigation_past_its_due_date_fires_and_the_acceptance_becomes_triggered(
    architect, stakeholder, signers, deferred_decision
):
    from risks import services as risk_services

    today = timezone.localdate()
    acceptance, sunset = make_acceptance(
        architect=architect,
        owner=stakeholder,
        signers=signers,
        decisions=[deferred_decision],
        expires_on=today + timedelta(days=120),
        sign=False,
    )
    risk_services.mitigation_save(
        actor=architect,
        acceptance=acceptance,
        description="Access tokens live 5 minutes",
        status="planned",
        due_on=today + timedelta(days=10),
    )
    overdue = Trigger.objects.get(risk_acceptance=acceptance, kind="mitigation_overdue")
    assert overdue.next_check_at == start_of_day(today + timedelta(days=11))
    assert overdue.deadline_at == overdue.next_check_at  # on the timeline
    risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
    from tests.conftest import PASSWORD

    for user in signers:
        risk_services.acceptance_sign(
            actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )
    with time_machine.travel(start_of_day(today + timedelta(days=10)) + timedelta(hours=12)):
        assert sweep().fired == 0
    with time_machine.travel(start_of_day(today + timedelta(days=11)) + timedelta(minutes=1)):
        assert sweep().fired == 1
    overdue.refresh_from_db()
    acceptance.refresh_from_db()
    assert overdue.state == "fired"
    assert acceptance.state == "triggered"
    assert "still planned after its due date" in FiredEvent.objects.get(trigger=overdue).reason
    assert Notification.objects.filter(event="trigger.fired").count() == 3


def test_a_revoked_acceptance_disarms_its_expiry_trigger_instead_of_firing_it(
    architect, stakeholder, signers, deferred_decision
):
    from risks import services as risk_services

    today = timezone.localdate()
    acceptance, _ = make_acceptance(
        architect=architect,
        owner=stakeholder,
        signers=signers,
        decisions=[deferred_decision],
        expires_on=today + timedelta(days=40),
    )
    risk_services.acceptance_revoke(actor=architect, acceptance=acceptance, reason="Fixed early.")
    with time_machine.travel(start_of_day(today + timedelta(days=40)) + timedelta(hours=1)):
        sweep()
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    assert expiry.state == "disarmed"
    assert not FiredEvent.objects.filter(trigger=expiry).exists()


def test_a_watched_sensitivity_note_flags_its_decision_when_its_trigger_fires(
    architect, deferred_decision
):
    from adr.services import sensitivity_note_save

    note = sensitivity_note_save(
        actor=architect,
        decision=deferred_decision,
        condition="Not on Amplify v5?",
        consequence="Option 1 becomes the default.",
    )
    trigger = trigger_create(
        actor=architect,
        name="Amplify v6 migration lands",
        kind="webhook",
        sensitivity_note=note,
    )
    assert list(note.triggers.all()) == [trigger]
    assert list(trigger.decisions.all()) == [deferred_decision]
    from triggers.firing import Work

    work = Work(timezone.now())
    work.fire(trigger, reason="Amplify v6 is live.", details={})
    work.flush()
    deferred_decision.refresh_from_db()
    assert deferred_decision.needs_review


def test_the_webhook_secret_is_shown_to_architects_only(login, architect, stakeholder):
    trigger = trigger_create(actor=architect, name="Retest", kind="webhook")
    assert (
        trigger.webhook_secret in login(architect).get(f"/triggers/{trigger.pk}/").content.decode()
    )
    page = login(stakeholder).get(f"/triggers/{trigger.pk}/").content.decode()
    assert trigger.webhook_secret not in page
    assert f"/hooks/{trigger.uuid}/" in page
    api = login(stakeholder).get(f"/api/v1/triggers/{trigger.pk}/").json()
    assert "webhook_secret" not in api

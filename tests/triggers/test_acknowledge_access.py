"""Who may acknowledge a fired trigger (triggers.access), and that nobody is asked by
email to acknowledge what they cannot."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from config.notifications.models import Notification
from triggers.access import may_acknowledge
from triggers.models import FiredEvent, Trigger
from triggers.services import trigger_acknowledge, trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def _fired(architect, **links) -> Trigger:
    trigger = trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        **links,
    )
    sweep()
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    return trigger


def _fired_email(address: str) -> Notification:
    return Notification.objects.get(event="trigger.fired", recipient=address)


def test_a_watcher_with_a_role_sees_the_button_and_acknowledges_on_the_page(
    login, architect, stakeholder
):
    trigger = _fired(architect, watchers=[stakeholder])
    client = login(stakeholder)
    page = client.get(f"/triggers/{trigger.pk}/").content.decode()
    assert 'id="acknowledge"' in page
    assert client.post(f"/triggers/{trigger.pk}/acknowledge/").status_code == 302
    trigger.refresh_from_db()
    assert trigger.state == "acknowledged"
    assert FiredEvent.objects.get().acknowledged_by == stakeholder


def test_the_acceptance_owner_acknowledges_over_the_api(
    login, architect, stakeholder, stakeholder2, acceptance_and_sunset
):
    acceptance, sunset = acceptance_and_sunset
    assert acceptance.owner == stakeholder
    assert not sunset.watchers.filter(pk=stakeholder.pk).exists()
    Trigger.objects.filter(pk=sunset.pk).update(
        params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        next_check_at=timezone.now(),
    )
    sweep()
    response = login(stakeholder).post(
        f"/api/v1/triggers/{sunset.pk}/acknowledge/",
        data=json.dumps({"note": "owner on it"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert FiredEvent.objects.get(trigger=sunset).acknowledged_by == stakeholder


def test_who_may_acknowledge(architect, stakeholder, stakeholder2, auditor, outsider, staff):
    trigger = _fired(architect, watchers=[stakeholder, outsider], escalation_contact=auditor)
    assert may_acknowledge(architect, trigger) and may_acknowledge(staff, trigger)
    assert may_acknowledge(stakeholder, trigger)  # a watcher with a role
    assert may_acknowledge(auditor, trigger)  # the escalation contact
    assert not may_acknowledge(stakeholder2, trigger)  # not involved
    assert not may_acknowledge(outsider, trigger)  # watches, but cannot read the ledger
    with pytest.raises(PermissionDenied):
        trigger_acknowledge(actor=outsider, trigger=trigger)
    stakeholder.is_active = False
    assert not may_acknowledge(stakeholder, trigger)


def test_only_those_who_can_acknowledge_are_asked_to_by_email(
    architect, stakeholder, outsider, settings
):
    trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        watchers=[stakeholder, outsider],
        extra_addresses="ops@example.test",
    )
    sweep()
    asked = _fired_email(stakeholder.email)
    assert "Please acknowledge it here:" in asked.body_text
    assert "Acknowledge the trigger" in asked.body_html
    for address in (outsider.email, "ops@example.test"):
        told = _fired_email(address)
        assert "acknowledge it here" not in told.body_text.lower()
        assert "Acknowledge the trigger" not in told.body_html
        assert "See the trigger:" in told.body_text


def test_reminders_ask_only_those_who_can_acknowledge(architect, stakeholder, outsider, settings):
    trigger = trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        watchers=[stakeholder, outsider],
    )
    sweep()
    later = timezone.now() + timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS, hours=1)
    Trigger.objects.filter(pk=trigger.pk).update(next_check_at=later - timedelta(minutes=1))
    sweep(now=later)
    reminders = Notification.objects.filter(event__startswith="trigger.remind")
    by_address = {n.recipient: n for n in reminders}
    assert "Acknowledge it here:" in by_address[stakeholder.email].body_text
    assert "Acknowledge it here:" not in by_address[outsider.email].body_text

"""Triggers end to end: a real Celery worker and beat on Redis, a real SMTP sink on loopback."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.notifications.models import Notification
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.smtp import SmtpSink
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.models import FiredEvent, Trigger
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def _due_date_trigger(architect, watchers):
    return trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": timezone.localdate().isoformat(), "lead_days": []},
        watchers=watchers,
    )


def test_beat_and_a_worker_fire_a_due_date_trigger_and_the_email_arrives(architect, stakeholder):
    broker = require_redis()
    trigger = _due_date_trigger(architect, [stakeholder])
    with (
        SmtpSink() as sink,
        celery_processes(
            broker_url=broker, email_url=sink.url, beat=True, LEDGER_SWEEP_INTERVAL_SECONDS="1"
        ),
    ):
        (message,) = sink.wait_for(1, timeout=60)
        time.sleep(3)  # a few more beats: nothing fires or sends twice
    assert message["To"] == stakeholder.email
    assert "Legacy frontend sunset" in message["Subject"]
    assert message.is_multipart()
    assert len(sink.messages) == 1
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    assert FiredEvent.objects.count() == 1
    assert list(Notification.objects.values_list("state", flat=True)) == ["sent"]


def test_with_the_broker_down_committed_alerts_go_out_within_two_sweeps_after_it_returns(
    architect, stakeholder, stakeholder2
):
    broker = require_redis()
    _due_date_trigger(architect, [stakeholder, stakeholder2])
    assert sweep().fired == 1
    assert Notification.objects.filter(state="pending").count() == 2
    # The broker "restarts" empty: celery_processes purges the queue, so the nudges sent
    # on commit are lost. Only the database still knows about the two emails.
    with SmtpSink() as sink, celery_processes(broker_url=broker, email_url=sink.url):
        time.sleep(2)
        assert sink.messages == []
        assert Notification.objects.filter(state="pending").count() == 2
        later = timezone.now() + timedelta(minutes=3)
        sweep(now=later)
        sweep(now=later + timedelta(minutes=1))
        sink.wait_for(2, timeout=60)
        time.sleep(1)
    assert sorted(sink.recipients()) == sorted([stakeholder.email, stakeholder2.email])
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert Trigger.objects.get().state == "fired"

"""Triggers end to end: a real Celery worker and beat on Redis, a real SMTP sink on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.notifications.models import Notification
from tests.conftest import require_redis
from tests.support.celery import celery_processes, is_marker, worker_caught_up
from tests.support.smtp import SmtpSink
from tests.support.wait import wait_until
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.models import FiredEvent, Trigger
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def _due_date_trigger(architect, watchers, name="Legacy frontend sunset"):
    return trigger_create(
        actor=architect,
        name=name,
        kind="date",
        params={"date": timezone.localdate().isoformat(), "lead_days": []},
        watchers=watchers,
    )


def test_beat_and_a_worker_fire_a_due_date_trigger_and_the_email_arrives(
    architect, stakeholder, stakeholder2
):
    broker = require_redis()
    trigger = _due_date_trigger(architect, [stakeholder])
    with (
        SmtpSink() as sink,
        celery_processes(
            broker_url=broker, email_url=sink.url, beat=True, LEDGER_SWEEP_INTERVAL_SECONDS="1"
        ),
    ):
        (message,) = sink.wait_for(1, timeout=60)
        # Two more beats, each seen to happen: a marker trigger created after the last
        # email is fired by a later sweep, whose emails queue behind that sweep's. When
        # the second marker's email is in, two sweeps have run since the first fire.
        for n in (1, 2):
            name = f"Beat marker {n}"
            _due_date_trigger(architect, [stakeholder2], name=name)
            sink.wait_for_message(lambda m, name=name: name in m["Subject"], what=name)
    assert message["To"] == stakeholder.email
    assert "Legacy frontend sunset" in message["Subject"]
    assert message.is_multipart()
    # Nothing fired or was sent twice in those sweeps.
    assert [m["To"] for m in sink.messages].count(stakeholder.email) == 1
    assert len(sink.messages) == 3
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    assert FiredEvent.objects.filter(trigger=trigger).count() == 1
    assert FiredEvent.objects.count() == 3
    assert list(Notification.objects.values_list("state", flat=True)) == ["sent"] * 3


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
        # The worker has run everything on the queue (a marker queued now arrives) and
        # sent neither email: no nudge survived.
        worker_caught_up(sink, name="after-restart")
        assert [m for m in sink.messages if not is_marker(m)] == []
        assert Notification.objects.filter(state="pending").count() == 2
        later = timezone.now() + timedelta(minutes=3)
        sweep(now=later)
        sweep(now=later + timedelta(minutes=1))
        wait_until(
            lambda: Notification.objects.filter(event="trigger.fired", state="sent").count() == 2,
            timeout=60,
            what="both alerts to be sent",
        )
        # Every nudge of both sweeps has been handled: none sent an email twice.
        worker_caught_up(sink, name="after-sweeps")
    alerts = sorted(r for r in sink.recipients() if not r.startswith("marker-"))
    assert alerts == sorted([stakeholder.email, stakeholder2.email])
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert Trigger.objects.get().state == "fired"

"""Prompt recovery: alerts committed while the broker is down go out at the first sweep
after it returns (the issue saw the third sweep, 145 s later).

A real outage: the test's own redis-server is the broker of a real Celery worker and
of this process; it is killed, a sweep fires a due trigger (its emails are committed,
the nudges fail), Redis is started again on the same port, and one sweep later the
emails arrive at a real SMTP sink on loopback.
"""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from config.notifications.models import Notification
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.redis_server import publishing_to, redis_server
from tests.support.smtp import SmtpSink
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.models import FiredEvent
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]

# Well under the beat schedule's sweep interval (60 s): "delivered before the next sweep".
DELIVERY_TIMEOUT = 45


def test_alerts_committed_during_a_broker_outage_go_out_at_the_first_sweep_after_it(
    architect, stakeholder, stakeholder2
):
    require_redis()  # gated like the other integration tests (the broker here is our own)
    trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": timezone.localdate().isoformat(), "lead_days": []},
        watchers=[stakeholder, stakeholder2],
    )
    with (
        redis_server() as broker,
        SmtpSink() as sink,
        celery_processes(broker_url=broker.url, email_url=sink.url),
        publishing_to(broker.url),
    ):
        broker.stop()
        # Sweep during the outage (cron's `manage.py sweep_triggers` needs no broker).
        assert sweep().fired == 1
        rows = Notification.objects.all()
        assert [row.state for row in rows] == ["pending", "pending"]
        assert all(row.nudged_at is None for row in rows), "the broker took a nudge"

        broker.start()
        # The first sweep after the broker's return: the rows are seconds old, not minutes.
        result = sweep()
        assert result.fired == 0
        assert result.requeued["requeued"] == 2
        started = time.monotonic()
        sink.wait_for(2, timeout=DELIVERY_TIMEOUT)
        print(f"delivered {time.monotonic() - started:.1f}s after the first sweep")
        # A second sweep finds nothing left to nudge and sends nothing twice.
        assert sweep().requeued["requeued"] == 0
    assert sorted(sink.recipients()) == sorted([stakeholder.email, stakeholder2.email])
    assert list(Notification.objects.values_list("state", flat=True)) == ["sent", "sent"]
    assert FiredEvent.objects.count() == 1

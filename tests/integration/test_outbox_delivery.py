"""The outbox end to end: a real Celery worker on Redis delivers to a real SMTP sink."""

import os
import signal
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.notifications.models import Notification
from config.notifications.services import (
    UNCERTAIN_AFTER,
    notification_enqueue,
    notifications_requeue_pending,
)
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.smtp import SmtpSink
from tests.support.smtp_faults import FaultySmtpSink
from tests.support.wait import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _queue(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            notification_enqueue(
                recipient=f"user{i}@example.test",
                event="test.message",
                dedupe_key=f"test:{i}",
                template="test-message",
                context={"name": f"user {i}"},
            )


def test_a_real_worker_sends_each_queued_email_once():
    broker = require_redis()
    with SmtpSink() as sink, celery_processes(broker_url=broker, email_url=sink.url):
        _queue(3)
        messages = sink.wait_for(3)
        assert sorted(m["To"] for m in messages) == [f"user{i}@example.test" for i in range(3)]
        assert all(m.is_multipart() for m in messages)  # text + HTML
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert len(sink.messages) == 3


def test_a_refusing_smtp_server_gets_every_email_once_after_retries(settings):
    broker = require_redis()
    with SmtpSink(refuse_first=2) as sink, celery_processes(broker_url=broker, email_url=sink.url):
        _queue(2)
        # Both first attempts are refused (451): rows wait to retry.
        wait_until(
            lambda: Notification.objects.filter(state="retry").count() >= 2,
            timeout=30,
            what="both rows to reach retry",
        )
        Notification.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
        with transaction.atomic():
            notifications_requeue_pending()
        sink.wait_for(2)
    assert sink.refused == 2
    assert sorted(sink.recipients()) == ["user0@example.test", "user1@example.test"]
    assert Notification.objects.filter(state="sent").count() == 2


def test_a_server_answering_after_the_timeout_gets_one_email_and_the_row_stays_uncertain():
    """The issue's case: EMAIL_TIMEOUT passes after DATA; a retry would deliver it twice."""
    broker = require_redis()
    with (
        FaultySmtpSink(hold_answers=True) as sink,
        celery_processes(broker_url=broker, email_url=sink.url, EMAIL_TIMEOUT="1"),
    ):
        _queue(1)
        assert sink.received.wait(60), "the worker never handed the message over"
        # The worker gives up after EMAIL_TIMEOUT.
        row = wait_until(
            lambda: Notification.objects.exclude(state="sending").first(),
            timeout=60,
            what="the send to end",
        )
        sink.release()  # the server's late "250" finds the client gone
        assert row.state == "uncertain"
        # However late the requeue runs, nothing is nudged, so the worker sends nothing.
        later = timezone.now() + timedelta(days=1)
        with transaction.atomic():
            assert notifications_requeue_pending(now=later)["requeued"] == 0
    assert len(sink.messages) == 1
    assert Notification.objects.get().state == "uncertain"


def test_a_worker_killed_after_handing_the_message_over_leaves_an_uncertain_row_and_one_email():
    broker = require_redis()
    with (
        FaultySmtpSink(hold_answers=True) as sink,
        celery_processes(broker_url=broker, email_url=sink.url) as (worker,),
    ):
        _queue(1)
        assert sink.received.wait(60), "the worker never handed the message over"
        os.killpg(worker.pid, signal.SIGKILL)  # kill -9 while the server holds its answer
        worker.wait(20)
        sink.release()
        row = Notification.objects.get()
        assert row.state == "sending"
        later = timezone.now() + UNCERTAIN_AFTER + timedelta(minutes=1)
        with transaction.atomic():
            result = notifications_requeue_pending(now=later)
        assert (result["uncertain"], result["requeued"]) == (1, 0)
    assert Notification.objects.get().state == "uncertain"
    assert len(sink.messages) == 1

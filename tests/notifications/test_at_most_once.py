"""At most once means at most once: the stage an SMTP failure happened at decides.

A real SMTP server on loopback (aiosmtpd) misbehaves at one stage of the session;
the outbox row ends in *retry* when nothing was handed over and *uncertain* when the
server may hold the message — never re-sent automatically.
"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from config.notifications import services
from config.notifications.models import Notification
from tests.support.smtp_faults import FaultySmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_settings(settings):
    def use(sink: FaultySmtpSink, *, timeout: int = 5) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = timeout

    return use


def _queue(key: str = "k1") -> Notification:
    return services.notification_enqueue(
        recipient="ann@example.test",
        event="test.message",
        dedupe_key=key,
        template="test-message",
        context={"name": "Ann"},
    )


def _nothing_is_sent_again(row: Notification) -> None:
    """However late the requeue runs, it does not nudge the row, and a stray task skips it."""
    result = services.notifications_requeue_pending(now=timezone.now() + timedelta(days=1))
    assert result["requeued"] == 0
    assert services.notification_send(notification_id=row.pk) == "skipped"


def test_a_server_that_answers_after_the_timeout_leaves_one_email_and_an_uncertain_row(
    smtp_settings,
):
    with FaultySmtpSink(hold_answers=True) as sink:
        smtp_settings(sink, timeout=1)
        row = _queue()
        assert services.notification_send(notification_id=row.pk) == "uncertain"
        # The server had the whole message and was still holding its answer when the
        # client gave up (the client closing the connection cancels the late "250").
        assert sink.received.is_set() and not sink.released.is_set()
        sink.release()
        row.refresh_from_db()
        assert row.state == "uncertain"
        assert "no clear answer" in row.last_error
        assert row.attempts == 1
        _nothing_is_sent_again(row)
    assert len(sink.messages) == 1
    assert sink.messages[0]["To"] == "ann@example.test"


def test_a_connection_cut_after_the_message_leaves_the_row_uncertain(smtp_settings):
    with FaultySmtpSink(drop_after_data=True) as sink:
        smtp_settings(sink)
        row = _queue()
        assert services.notification_send(notification_id=row.pk) == "uncertain"
        row.refresh_from_db()
        assert row.state == "uncertain"
        _nothing_is_sent_again(row)
    assert len(sink.messages) == 1


@pytest.mark.parametrize(
    ("fault", "stage"),
    [("refuse_rcpt_first", "RCPT: "), ("refuse_data_command_first", "DATA: ")],
)
def test_a_refusal_before_the_message_is_handed_over_is_retried_with_backoff(
    smtp_settings, fault, stage
):
    with FaultySmtpSink(**{fault: 1}) as sink:
        smtp_settings(sink)
        row = _queue()
        assert services.notification_send(notification_id=row.pk) == "retry"
        row.refresh_from_db()
        assert row.state == "retry"
        assert row.last_error.startswith(stage)
        assert row.next_attempt_at > timezone.now()
        assert sink.refusals[fault] == 1
        assert sink.messages == []
        # Due again: the requeue nudges it and it goes out once.
        later = row.next_attempt_at + timedelta(seconds=1)
        assert services.notifications_requeue_pending(now=later)["requeued"] == 1
        with time_machine.travel(later, tick=False):
            assert services.notification_send(notification_id=row.pk) == "sent"
    assert len(sink.messages) == 1


def test_a_clear_refusal_of_the_message_itself_is_retried(smtp_settings):
    with FaultySmtpSink() as sink:
        sink.refusals_left = 1  # the base sink answers 451 to the first message body
        smtp_settings(sink)
        row = _queue()
        assert services.notification_send(notification_id=row.pk) == "retry"
        row.refresh_from_db()
        assert row.last_error.startswith("end of DATA: 451")
    assert sink.refused == 1


def test_an_unreachable_server_is_retried(smtp_settings):
    with FaultySmtpSink() as sink:
        smtp_settings(sink)
    # The sink has stopped: nothing listens on its port any more.
    row = _queue()
    assert services.notification_send(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.last_error.startswith("connect: ConnectionRefusedError")


@pytest.mark.django_db(transaction=True)
def test_a_send_that_outlived_the_uncertain_mark_keeps_its_real_answer(smtp_settings):
    """The requeue guessed *uncertain* for a slow send; the server's answer wins."""
    with FaultySmtpSink(hold_answers=True) as sink:
        smtp_settings(sink, timeout=30)
        row = _queue()
        outcome = {}

        def send() -> None:
            try:
                outcome["result"] = services.notification_send(notification_id=row.pk)
            finally:
                connection.close()

        sender = threading.Thread(target=send)
        sender.start()
        try:
            assert sink.received.wait(10), "the message never reached the server"
            later = timezone.now() + services.UNCERTAIN_AFTER + timedelta(minutes=1)
            assert services.notifications_requeue_pending(now=later)["uncertain"] == 1
            assert Notification.objects.get(pk=row.pk).state == "uncertain"
        finally:
            sink.release()
            sender.join(30)
    assert outcome == {"result": "sent"}
    assert Notification.objects.get(pk=row.pk).state == "sent"
    assert len(sink.messages) == 1


class TimingOutApiBackend(BaseEmailBackend):
    """Stands in for an HTTP email API whose request timed out: it cannot say how far it got."""

    def send_messages(self, email_messages):
        raise TimeoutError("the API did not answer")


def test_a_backend_without_stages_that_fails_leaves_the_row_uncertain(settings):
    settings.EMAIL_BACKEND = f"{__name__}.TimingOutApiBackend"
    row = _queue()
    assert services.notification_send(notification_id=row.pk) == "uncertain"
    _nothing_is_sent_again(row)

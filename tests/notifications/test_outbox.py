"""The outbox's own rules: at most once per key, nothing on rollback, claim before send."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from config.notifications import services
from config.notifications.models import Notification
from tests.support.redis_server import publishing_to
from tests.support.smtp import free_port

pytestmark = pytest.mark.django_db


def _queue(key: str = "k1", recipient: str = "a@example.test"):
    return services.notification_enqueue(
        recipient=recipient,
        event="test.message",
        dedupe_key=key,
        template="test-message",
        context={"name": "Ann"},
    )


def test_it_renders_subject_text_and_html_from_one_template_triple():
    row = _queue()
    assert row.subject == "Test message for Ann"
    assert "Hello Ann" in row.body_text
    assert row.body_html.startswith("<p>Hello Ann")


def test_it_queues_a_key_only_once():
    assert _queue("same") is not None
    assert _queue("same") is None
    assert Notification.objects.count() == 1


def test_a_rolled_back_transaction_leaves_no_outbox_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue("rolled-back")
        raise RuntimeError("boom")
    assert not Notification.objects.exists()


def test_sending_twice_delivers_once():
    row = _queue()
    assert services.notification_send(notification_id=row.pk) == "sent"
    assert services.notification_send(notification_id=row.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 1)


def test_a_send_that_never_reported_back_becomes_uncertain_and_is_not_resent():
    row = _queue()
    # A worker claimed the row and died before the SMTP server answered.
    claimed = services._claim(row.pk)
    assert claimed.state == "sending"
    later = timezone.now() + services.UNCERTAIN_AFTER + timedelta(minutes=1)
    result = services.notifications_requeue_pending(now=later)
    row.refresh_from_db()
    assert result["uncertain"] == 1
    assert row.state == "uncertain"
    assert services.notification_send(notification_id=row.pk) == "skipped"
    assert mail.outbox == []


def test_only_staff_resend_an_uncertain_email(architect, staff):
    row = _queue()
    services._claim(row.pk)
    services.notifications_requeue_pending(now=timezone.now() + timedelta(hours=1))
    row.refresh_from_db()
    with pytest.raises(Exception, match="staff"):
        services.notification_resend(notification=row, actor=architect)
    services.notification_resend(notification=row, actor=staff)
    row.refresh_from_db()
    assert row.state == "pending"
    assert services.notification_send(notification_id=row.pk) == "sent"


def test_a_refused_send_waits_with_backoff_then_goes_out(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    row = _queue()
    assert services.notification_send(notification_id=row.pk) == "retry"
    row.refresh_from_db()
    assert row.state == "retry"
    assert row.next_attempt_at > timezone.now()
    assert services.notification_send(notification_id=row.pk) == "skipped"  # not due yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with_time = row.next_attempt_at + timedelta(seconds=1)
    import time_machine

    with time_machine.travel(with_time, tick=False):
        assert services.notification_send(notification_id=row.pk) == "sent"
    assert len(mail.outbox) == 1


def test_the_outbox_page_is_for_staff_only(login, architect, staff):
    _queue()
    assert login(architect).get("/outbox/").status_code == 403
    response = login(staff).get("/outbox/")
    assert response.status_code == 200
    assert b"a@example.test" in response.content


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_does_not_fail_the_save_and_the_row_waits_for_the_next_requeue():
    with publishing_to(f"redis://127.0.0.1:{free_port()}/0"):  # nothing listens there
        with transaction.atomic():
            row = _queue("broker-down")
        # The commit ran the nudge, which failed quietly: the row is still pending and
        # never nudged, so the next requeue nudges it although it is only seconds old.
        row.refresh_from_db()
        assert (row.state, row.nudged_at) == ("pending", None)
        with transaction.atomic():
            assert services.notifications_requeue_pending()["requeued"] == 1
        row.refresh_from_db()
        assert row.nudged_at is None  # the broker is still down
    with transaction.atomic():
        fine = _queue("nudged-fine")  # the broker takes this nudge (no worker runs)
    fine.refresh_from_db()
    assert fine.nudged_at is not None
    row.refresh_from_db()
    assert row.nudged_at is None


@pytest.mark.django_db(transaction=True)
def test_a_nudge_lost_with_the_broker_is_repeated_by_the_second_sweep_not_the_first():
    with transaction.atomic():
        row = _queue("lost")  # the broker took the nudge; say it restarted and lost it
    row.refresh_from_db()
    nudged = row.nudged_at
    assert nudged is not None
    first_sweep = nudged + services.REQUEUE_AFTER / 2
    second_sweep = first_sweep + timedelta(minutes=1)  # the beat schedule's interval
    with transaction.atomic():
        assert services.notifications_requeue_pending(now=first_sweep)["requeued"] == 0
    with transaction.atomic():
        assert services.notifications_requeue_pending(now=second_sweep)["requeued"] == 1
    row.refresh_from_db()
    assert row.nudged_at > nudged

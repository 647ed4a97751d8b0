"""One broker message nudges up to a hundred outbox rows; the task sends each row once."""

from __future__ import annotations

import pytest
from celery.signals import before_task_publish
from django.core import mail
from django.db import transaction

from config.notifications import services
from config.notifications.models import Notification
from config.notifications.sending import NUDGE_CHUNK
from config.notifications.tasks import send_notifications
from tests.support.redis_server import publishing_to


def _emails(n: int) -> list[services.Email]:
    return [
        services.Email(
            recipient=f"r{i}@example.test",
            event="test.message",
            dedupe_key=f"batch:{i}",
            template="test-message",
            context={"name": f"Reader {i}"},
        )
        for i in range(n)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_outbox_rows_is_nudged_by_one_message_per_hundred_rows():
    published: list[tuple[str, list[int]]] = []

    def seen(sender=None, body=None, **kwargs):
        published.append((sender, list(body[0][0])))

    before_task_publish.connect(seen, weak=False)
    try:
        # An in-memory broker of this process: the messages reach no worker.
        with publishing_to("memory://"), transaction.atomic():
            rows = services.notification_enqueue_many(_emails(2 * NUDGE_CHUNK + 50))
    finally:
        before_task_publish.disconnect(seen)

    assert NUDGE_CHUNK == 100
    assert [(name, len(ids)) for name, ids in published] == [
        ("config.notifications.tasks.send_notifications", 100),
        ("config.notifications.tasks.send_notifications", 100),
        ("config.notifications.tasks.send_notifications", 50),
    ]
    assert [pk for _name, ids in published for pk in ids] == [row.pk for row in rows]
    assert not Notification.objects.filter(nudged_at__isnull=True).exists()


@pytest.mark.django_db
def test_one_nudge_sends_each_of_its_rows_once_and_skips_what_is_not_due():
    rows = services.notification_enqueue_many(_emails(3))
    ids = [row.pk for row in rows]

    assert send_notifications.run(ids + [10**12]) == {"sent": 3, "skipped": 1}
    assert send_notifications.run(ids) == {"skipped": 3}

    assert sorted(m.to[0] for m in mail.outbox) == [f"r{i}@example.test" for i in range(3)]
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}

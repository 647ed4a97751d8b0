"""End to end: a delivery a real Celery worker failed is sent again by staff from the
outbox page, and the worker — nudged on commit — posts it once to a loopback receiver."""

from __future__ import annotations

import pytest

from tests.channels.conftest import due_trigger, loopback_settings
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.http_receiver import Receiver
from tests.support.wait import wait_until
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.channels.models import ChannelDelivery
from triggers.channels.services import channel_create
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def _state(pk: int) -> str:
    return ChannelDelivery.objects.values_list("state", flat=True).get(pk=pk)


def test_staff_send_a_failed_delivery_again_and_the_worker_posts_it_once(
    architect, staff, log, settings, client
):
    broker = require_redis()
    loopback_settings(settings)
    from adr.services import decision_create

    decision = decision_create(actor=architect, log=log, title="Cookies", status="proposed")
    due_trigger(architect=architect, decisions=[decision])
    with (
        Receiver(always_fail={"/chat"}) as receiver,
        celery_processes(
            broker_url=broker,
            LEDGER_CHANNEL_ALLOWED_HOSTS="127.0.0.1",
            LEDGER_CHANNEL_PRIVATE_HOSTS="127.0.0.1",
            LEDGER_CHANNEL_MAX_ATTEMPTS="1",
        ),
    ):
        channel, _ = channel_create(
            actor=architect, log=log, kind="slack", name="Chat", url=receiver.url("/chat")
        )
        assert sweep().fired == 1
        pk = ChannelDelivery.objects.get(channel=channel).pk
        wait_until(lambda: _state(pk) == "failed", timeout=60, what="the delivery to fail")
        receiver.always_fail.discard("/chat")  # the endpoint is fixed

        client.force_login(staff)
        response = client.post(f"/channels/deliveries/{pk}/resend/")
        assert response.status_code == 302

        wait_until(lambda: _state(pk) == "sent", timeout=60, what="the delivery to be sent")
        # Nothing else is queued: the beat-less requeue finds nothing to nudge.
        from triggers.channels.sending import deliveries_requeue_pending

        assert deliveries_requeue_pending() == {"requeued": 0, "uncertain": 0}

    assert [post.status for post in receiver.posts("/chat")] == [500, 200]
    row = ChannelDelivery.objects.get(pk=pk)
    assert (row.attempts, row.last_status) == (2, 200)
    assert row.history.filter(history_change_reason__startswith="resend requested").count() == 1

"""Two workers handed the same delivery at once: it is posted once."""

from __future__ import annotations

import pytest

from tests.channels.conftest import due_trigger
from tests.conftest import require_postgres
from tests.support.race import queued_on_row_lock
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.channels.models import ChannelDelivery
from triggers.channels.sending import delivery_send
from triggers.channels.services import channel_create
from triggers.sweep import sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("roles")]


def test_two_workers_racing_on_one_delivery_post_it_once(architect, log, receiver):
    require_postgres()
    from adr.services import decision_create

    decision = decision_create(actor=architect, log=log, title="Race", status="proposed")
    due_trigger(architect=architect, decisions=[decision])
    channel, _ = channel_create(
        actor=architect, log=log, kind="slack", name="chat", url=receiver.url("/chat")
    )
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)

    def worker():
        ChannelDelivery.objects.get(pk=delivery.pk)  # connected before the lock is contended
        return lambda: delivery_send(delivery_id=delivery.pk)

    # Both workers queue on the row lock at once (the helper asserts PostgreSQL saw
    # both waiting), then claim in turn.
    first, second = queued_on_row_lock(ChannelDelivery, delivery.pk, worker, worker)

    assert first.error is None and second.error is None
    assert sorted([first.value, second.value]) == ["sent", "skipped"]
    assert len(receiver.posts("/chat")) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 1)

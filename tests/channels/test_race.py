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


def test_two_staff_sending_a_failed_delivery_again_at_once_queue_it_once(
    architect, staff, log, receiver, settings
):
    require_postgres()
    from django.core.exceptions import ValidationError

    from adr.services import decision_create
    from triggers.channels.services import delivery_resend

    settings.LEDGER_CHANNEL_MAX_ATTEMPTS = 1
    decision = decision_create(actor=architect, log=log, title="Race", status="proposed")
    due_trigger(architect=architect, decisions=[decision])
    channel, _ = channel_create(
        actor=architect, log=log, kind="slack", name="chat", url=receiver.url("/down")
    )
    receiver.always_fail.add("/down")
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)
    assert delivery_send(delivery_id=delivery.pk) == "failed"
    receiver.always_fail.discard("/down")

    def click():
        row = ChannelDelivery.objects.get(pk=delivery.pk)  # the page both staff loaded
        return lambda: delivery_resend(actor=staff, delivery=row)

    first, second = queued_on_row_lock(ChannelDelivery, delivery.pk, click, click)

    errors = [o.error for o in (first, second) if o.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), (first, second)
    assert "still on its way" in str(errors[0])
    resends = delivery.history.filter(history_change_reason__startswith="resend requested")
    assert resends.count() == 1
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    assert [post.status for post in receiver.posts("/down")] == [500, 200]

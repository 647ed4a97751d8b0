"""Staff send a failed (or uncertain) channel delivery again from the outbox: it reaches a
real loopback receiver once; nobody else may, and a delivered row is never sent again."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from triggers.channels.models import ChannelDelivery
from triggers.channels.sending import delivery_send
from triggers.channels.services import channel_create, channel_set_active, delivery_resend
from triggers.channels.tasks import send_channel_delivery
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db

OUTBOX = "/outbox/"


def _url(delivery: ChannelDelivery) -> str:
    return f"/channels/deliveries/{delivery.pk}/resend/"


def _failed(architect, log, receiver, settings, path="/flaky") -> ChannelDelivery:
    """A delivery whose endpoint answered 500 to every attempt (two): failed."""
    settings.LEDGER_CHANNEL_MAX_ATTEMPTS = 2
    channel, _ = channel_create(
        actor=architect, log=log, kind="slack", name="Team chat", url=receiver.url(path)
    )
    receiver.always_fail.add(path)
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)
    assert [delivery_send(delivery_id=delivery.pk) for _ in range(3)] == [
        "retry",
        "failed",
        "skipped",
    ]
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    return delivery


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_failed_delivery_is_delivered_once_after_staff_send_it_again(
    architect, log, trigger, receiver, settings, login, staff, django_capture_on_commit_callbacks
):
    delivery = _failed(architect, log, receiver, settings)
    receiver.always_fail.discard("/flaky")  # the endpoint is fixed
    client = login(staff)
    page = client.get(OUTBOX).content.decode()
    assert f'action="{_url(delivery)}"' in page
    assert "Send again" in page

    with django_capture_on_commit_callbacks() as nudges:
        response = client.post(_url(delivery))

    assert response.status_code == 302
    assert response["Location"] == "/outbox/"
    assert len(nudges) == 1, "the send is queued after commit, once"
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    latest = delivery.history.first()
    assert latest.history_change_reason == "resend requested by staff (was failed)"
    assert latest.history_user == staff
    # What the worker runs for the nudge: the post goes out once, then never again.
    assert send_channel_delivery(delivery.pk) == "sent"
    assert send_channel_delivery(delivery.pk) == "skipped"

    assert [post.status for post in receiver.posts("/flaky")] == [500, 500, 200]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("sent", 3, 200)
    assert delivery.sent_at is not None
    shown = client.get(OUTBOX)
    assert "queued to send again" in " ".join(_messages(shown))
    assert f'action="{_url(delivery)}"' not in shown.content.decode()  # sent: no button


def test_only_staff_send_again(
    architect, log, trigger, receiver, settings, login, stakeholder, auditor
):
    delivery = _failed(architect, log, receiver, settings)
    rows = delivery.history.count()

    for user in (architect, stakeholder, auditor):  # the architect manages the channel
        assert login(user).post(_url(delivery)).status_code == 403
        with pytest.raises(PermissionDenied):
            delivery_resend(actor=user, delivery=delivery)

    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.history.count() == rows
    assert len(receiver.posts("/flaky")) == 2


def test_a_delivered_row_is_not_sent_again_and_staff_are_told_why(
    architect, log, trigger, receiver, login, staff, django_capture_on_commit_callbacks
):
    channel, _ = channel_create(
        actor=architect, log=log, kind="slack", name="Team chat", url=receiver.url("/ok")
    )
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    rows = delivery.history.count()

    with django_capture_on_commit_callbacks() as nudges:
        response = login(staff).post(_url(delivery), follow=True)

    assert response.status_code == 200
    assert _messages(response) == [
        f"Delivery #{delivery.pk} to “Team chat” not sent again: "
        "It was already delivered: a sent delivery is never sent again."
    ]
    assert nudges == []
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    assert delivery.history.count() == rows
    assert len(receiver.posts("/ok")) == 1


def test_a_row_on_its_way_or_on_a_disabled_channel_is_refused_with_the_reason(
    architect, log, trigger, receiver, settings, staff
):
    delivery = _failed(architect, log, receiver, settings)
    channel_set_active(actor=architect, channel=delivery.channel, active=False)
    with pytest.raises(ValidationError, match="“Team chat” is disabled"):
        delivery_resend(actor=staff, delivery=delivery)
    channel_set_active(actor=architect, channel=delivery.channel, active=True)

    delivery_resend(actor=staff, delivery=delivery)
    with pytest.raises(ValidationError, match="“Pending” \\(it is still on its way\\)"):
        delivery_resend(actor=staff, delivery=delivery)  # a second click
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert delivery.history.filter(history_change_reason__startswith="resend").count() == 1


def test_an_uncertain_delivery_can_be_sent_again_after_a_warning(
    architect, log, trigger, receiver, login, staff
):
    from datetime import timedelta

    from django.utils import timezone

    from triggers.channels.sending import deliveries_requeue_pending

    channel, _ = channel_create(
        actor=architect, log=log, kind="json", name="Bus", url=receiver.url("/lost")
    )
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)
    delivery.state, delivery.claimed_at = "sending", timezone.now() - timedelta(minutes=11)
    delivery.save(update_fields=["state", "claimed_at"])  # a worker died mid-post
    assert deliveries_requeue_pending()["uncertain"] == 1
    client = login(staff)
    page = client.get(OUTBOX).content.decode()
    assert "may show it twice" in page  # the button asks first (data-confirm)

    assert client.post(_url(delivery)).status_code == 302

    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert delivery.history.first().history_change_reason == (
        "resend requested by staff (was uncertain)"
    )
    assert delivery_send(delivery_id=delivery.pk) == "sent"
    (post,) = receiver.posts("/lost")
    assert post.headers["X-Ledger-Delivery"] == str(delivery.pk)  # receivers can dedupe

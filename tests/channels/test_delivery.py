"""Fired triggers reach their log's channels and their own, once; the signed kind can be
verified by a receiver; failures retry and end failed, visible to staff."""

from __future__ import annotations

import json

import pytest

from tests.channels.conftest import due_trigger
from tests.support.http_receiver import verify_signature
from triggers.channels.models import ChannelDelivery
from triggers.channels.sending import delivery_send
from triggers.channels.services import channel_create, channel_set_active
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def _add(architect, log, receiver, path, kind="slack", **extra):
    return channel_create(
        actor=architect, log=log, kind=kind, name=path.strip("/"), url=receiver.url(path), **extra
    )


def test_a_fired_trigger_is_queued_once_for_its_logs_channels_and_its_own(
    architect, log, decision, trigger, receiver
):
    from adr.services import log_create

    log_wide, _ = _add(architect, log, receiver, "/log")
    own, _ = _add(architect, log, receiver, "/own", trigger=trigger)
    other_trigger = due_trigger(architect=architect, decisions=[decision], name="Other")
    _add(architect, log, receiver, "/other", trigger=other_trigger)
    disabled, _ = _add(architect, log, receiver, "/off")
    channel_set_active(actor=architect, channel=disabled, active=False)
    other_log = log_create(actor=architect, key="PAY", name="Payments")
    _add(architect, other_log, receiver, "/elsewhere")

    assert sweep().fired == 2
    sweep()  # nothing fires, nothing is queued twice

    mine = ChannelDelivery.objects.filter(fired_event__trigger=trigger)
    assert sorted(mine.values_list("channel__name", flat=True)) == ["log", "own"]
    others = ChannelDelivery.objects.filter(fired_event__trigger=other_trigger)
    assert sorted(others.values_list("channel__name", flat=True)) == ["log", "other"]
    assert set(ChannelDelivery.objects.values_list("state", flat=True)) == {"pending"}
    assert ChannelDelivery.objects.get(channel=own).history.count() == 1


def test_the_signed_kind_verifies_at_the_receiver_and_a_tampered_one_does_not(
    architect, log, trigger, receiver
):
    channel, secret = _add(architect, log, receiver, "/json", kind="json")
    assert len(secret) >= 40
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)

    assert delivery_send(delivery_id=delivery.pk) == "sent"

    (post,) = receiver.posts("/json")
    assert verify_signature(secret=secret, headers=post.headers, body=post.body)
    assert post.headers["X-Ledger-Delivery"] == str(delivery.pk)
    document = json.loads(post.body)
    assert document["event"] == "trigger.fired"
    assert document["trigger"]["name"] == "Legacy frontend sunset"
    assert document["decisions"] == ["AUTH-0001 Keep tokens in cookies for now"]
    tampered = post.body.replace(b"Legacy", b"Lunacy")
    assert not verify_signature(secret=secret, headers=post.headers, body=tampered)
    assert not verify_signature(secret=secret + "x", headers=post.headers, body=post.body)
    stale = {
        **post.headers,
        "X-Ledger-Timestamp": str(int(post.headers["X-Ledger-Timestamp"]) - 3600),
    }
    assert not verify_signature(secret=secret, headers=stale, body=post.body)
    assert delivery_send(delivery_id=delivery.pk) == "skipped"  # sent: never again
    assert len(receiver.posts("/json")) == 1


def test_slack_and_teams_bodies(architect, log, trigger, receiver):
    slack, _ = _add(architect, log, receiver, "/slack")
    teams, _ = _add(architect, log, receiver, "/teams", kind="teams")
    sweep()
    for channel in (slack, teams):
        delivery_send(delivery_id=ChannelDelivery.objects.get(channel=channel).pk)

    (slack_post,) = receiver.posts("/slack")
    slack_body = json.loads(slack_post.body)
    assert slack_body["text"].startswith("Trigger fired: Legacy frontend sunset")
    assert "<http://" in slack_body["blocks"][0]["text"]["text"]
    (teams_post,) = receiver.posts("/teams")
    envelope = json.loads(teams_post.body)
    assert envelope["type"] == "message"
    (attachment,) = envelope["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["body"][0]["text"] == "Trigger fired: Legacy frontend sunset"
    assert "X-Ledger-Signature" not in teams_post.headers


def test_a_failing_endpoint_is_retried_then_failed_after_n_attempts_and_staff_see_it(
    architect, log, trigger, receiver, settings, login, staff, stakeholder
):
    settings.LEDGER_CHANNEL_MAX_ATTEMPTS = 3
    channel, _ = _add(architect, log, receiver, "/down")
    receiver.always_fail.add("/down")
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)

    outcomes = [delivery_send(delivery_id=delivery.pk) for _ in range(4)]

    assert outcomes == ["retry", "retry", "failed", "skipped"]
    assert len(receiver.posts("/down")) == 3
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 3, 500)
    assert delivery.last_error.startswith("HTTP 500")
    page = login(staff).get("/outbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Channel deliveries" in html
    assert "Failed: <strong>1</strong>" in html
    assert "HTTP 500: no" in html
    assert login(stakeholder).get("/outbox/").status_code == 403


def test_an_unreachable_endpoint_waits_with_backoff(architect, log, trigger, receiver, settings):
    settings.LEDGER_CHANNEL_RETRY_BASE_SECONDS = 60
    channel, _ = _add(architect, log, receiver, "/gone")
    receiver.__exit__()  # the endpoint goes away
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)

    assert delivery_send(delivery_id=delivery.pk) == "retry"
    assert delivery_send(delivery_id=delivery.pk) == "skipped"  # not due before the backoff

    delivery.refresh_from_db()
    assert delivery.last_error.startswith("127.0.0.1: Refused or unreachable")
    assert 59 <= (delivery.next_attempt_at - delivery.claimed_at).total_seconds() <= 61


def test_a_send_that_never_reported_back_is_uncertain_and_not_posted_again(
    architect, log, trigger, receiver
):
    from datetime import timedelta

    from django.utils import timezone

    from triggers.channels.sending import deliveries_requeue_pending

    channel, _ = _add(architect, log, receiver, "/lost")
    sweep()
    delivery = ChannelDelivery.objects.get(channel=channel)
    delivery.state, delivery.claimed_at = "sending", timezone.now() - timedelta(minutes=11)
    delivery.save(update_fields=["state", "claimed_at"])  # a worker died mid-post

    assert deliveries_requeue_pending() == {"requeued": 0, "uncertain": 1}
    assert delivery_send(delivery_id=delivery.pk) == "skipped"

    delivery.refresh_from_db()
    assert delivery.state == "uncertain"
    assert receiver.posts("/lost") == []

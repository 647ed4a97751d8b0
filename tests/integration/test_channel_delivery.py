"""A fired trigger reaches email and every kind of channel, once each: a real Celery
worker on Redis, a real SMTP sink and a real HTTP receiver on loopback."""

from __future__ import annotations

import json

import pytest

from config.notifications.models import Notification
from tests.channels.conftest import due_trigger, loopback_settings
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.http_receiver import Receiver, verify_signature
from tests.support.smtp import SmtpSink
from tests.support.wait import wait_until
from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.channels.models import ChannelDelivery
from triggers.channels.sending import deliveries_requeue_pending
from triggers.channels.services import channel_create
from triggers.models import FiredEvent
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_a_fired_trigger_reaches_slack_teams_signed_json_and_email_once_each(
    architect, stakeholder, log, settings
):
    broker = require_redis()
    loopback_settings(settings)
    from adr.services import decision_create

    decision = decision_create(actor=architect, log=log, title="Cookies", status="proposed")
    trigger = due_trigger(architect=architect, decisions=[decision], watchers=[stakeholder])
    with (
        Receiver(fail_first={"/teams": 1}) as receiver,
        SmtpSink() as sink,
        celery_processes(
            broker_url=broker,
            email_url=sink.url,
            LEDGER_CHANNEL_ALLOWED_HOSTS="127.0.0.1",
            LEDGER_CHANNEL_PRIVATE_HOSTS="127.0.0.1",
            LEDGER_CHANNEL_RETRY_BASE_SECONDS="0.5",
        ),
    ):
        add = {"actor": architect, "log": log}
        channel_create(**add, kind="slack", name="Slack", url=receiver.url("/slack"))
        channel_create(**add, kind="teams", name="Teams", url=receiver.url("/teams"))
        _, secret = channel_create(
            **add, kind="json", name="Bus", url=receiver.url("/json"), trigger=trigger
        )

        assert sweep().fired == 1

        (email,) = sink.wait_for(1, timeout=60)
        wait_until(
            lambda: set(ChannelDelivery.objects.values_list("state", flat=True)) == {"sent"},
            timeout=60,
            what="every channel delivery to be sent",
        )
        # Nothing more to do: another sweep fires nothing, the requeue finds nothing.
        assert sweep().fired == 0
        assert deliveries_requeue_pending() == {"requeued": 0, "uncertain": 0}

    assert email["To"] == stakeholder.email
    assert "Legacy frontend sunset" in email["Subject"]
    assert len(sink.messages) == 1
    assert Notification.objects.get().state == "sent"
    event = FiredEvent.objects.get()
    assert ChannelDelivery.objects.filter(fired_event=event).count() == 3

    (slack,) = receiver.posts("/slack")
    assert json.loads(slack.body)["text"].startswith("Trigger fired: Legacy frontend sunset")
    failed, teams = receiver.posts("/teams")  # failed first, then succeeded
    assert (failed.status, teams.status) == (500, 200)
    assert failed.headers["X-Ledger-Delivery"] == teams.headers["X-Ledger-Delivery"]
    card = json.loads(teams.body)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    (signed,) = receiver.posts("/json")
    assert verify_signature(secret=secret, headers=signed.headers, body=signed.body)
    assert json.loads(signed.body)["fired_event"]["id"] == event.pk
    teams_row = ChannelDelivery.objects.get(channel__name="Teams")
    assert (teams_row.attempts, teams_row.last_status) == (2, 200)

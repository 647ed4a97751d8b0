"""Channel fixtures: a loopback receiver the channel settings allow, a decision of the
`log` persona fixture and a date trigger on it that is due today."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.support.http_receiver import Receiver


def loopback_settings(settings) -> None:
    settings.LEDGER_CHANNEL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LEDGER_CHANNEL_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.LEDGER_CHANNEL_TIMEOUT_SECONDS = 5
    settings.LEDGER_CHANNEL_RETRY_BASE_SECONDS = 0


@pytest.fixture
def receiver(settings):
    loopback_settings(settings)
    with Receiver() as peer:
        yield peer


@pytest.fixture
def decision(log, architect):
    from adr.services import decision_create

    return decision_create(
        actor=architect, log=log, title="Keep tokens in cookies for now", status="proposed"
    )


def due_trigger(*, architect, decisions, watchers=(), name="Legacy frontend sunset"):
    from triggers.services import trigger_create

    return trigger_create(
        actor=architect,
        name=name,
        kind="date",
        params={"date": timezone.localdate().isoformat(), "lead_days": []},
        decisions=list(decisions),
        watchers=list(watchers),
    )


@pytest.fixture
def trigger(architect, decision, stakeholder):
    return due_trigger(architect=architect, decisions=[decision], watchers=[stakeholder])

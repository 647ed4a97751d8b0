"""Risk acceptance emails end to end: a real Celery worker on Redis delivers each once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.notifications.models import Notification
from config.notifications.services import notifications_requeue_pending
from risks import services
from tests.conftest import PASSWORD, require_redis
from tests.risks.conftest import new_acceptance, risks_without_trigger_hooks  # noqa: F401
from tests.support.celery import celery_processes, is_marker, worker_caught_up
from tests.support.smtp import SmtpSink

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def test_signature_emails_are_delivered_once_by_a_real_worker(
    architect, stakeholder, stakeholder2, stakeholder3
):
    broker = require_redis()
    acceptance = new_acceptance(
        architect,
        title="JS-readable tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        days=90,
        mitigations=[{"description": "Strict CSP", "status": "in_place"}],
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security lead"},
            {"user": stakeholder3, "meaning": "engineering lead"},
        ],
    )
    with SmtpSink() as sink, celery_processes(broker_url=broker, email_url=sink.url):
        services.acceptance_submit(actor=architect, acceptance=acceptance)
        requested = sink.wait_for(3)
        assert sorted(m["To"] for m in requested) == [
            "eric@example.test",
            "sam@example.test",
            "sofia@example.test",
        ]
        assert all(m.is_multipart() for m in requested)
        assert all("Your signature is requested" in m["Subject"] for m in requested)
        services.acceptance_sign(
            actor=stakeholder2, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )
        signed = sink.wait_for(4)[3]
        assert signed["To"] == "sam@example.test"
        assert "Sofia Security signed" in signed["Subject"]
        # A nudge for everything (as the beat schedule does) sends nothing twice.
        with transaction.atomic():
            Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
            notifications_requeue_pending()
        # Any nudge that requeue sent is on the queue ahead of this marker: once the
        # marker is in, the worker has handled them all.
        worker_caught_up(sink, name="after-requeue")
    assert len([m for m in sink.messages if not is_marker(m)]) == 4
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}

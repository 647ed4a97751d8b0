"""Times are stored in UTC and shown in the viewer's own time zone."""

from datetime import UTC, datetime

import pytest
import time_machine

from risks import services as risks

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_acceptance(architect, stakeholder):
    from risks import hooks

    for registry in (hooks.SUBMIT_CHECKS, hooks.ACCEPTANCE_SAVED):  # restored after the test
        for item in registry:
            registry.unregister(item)
    acceptance = risks.acceptance_create(
        actor=architect,
        title="Tokens",
        risk_statement="XSS",
        owner=architect,
        expires_on=datetime(2027, 3, 1).date(),
    )
    risks.signatory_add(
        actor=architect, acceptance=acceptance, user=stakeholder, meaning="risk owner"
    )
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    with time_machine.travel(datetime(2026, 12, 1, 15, 30, tzinfo=UTC), tick=False):
        risks.acceptance_sign(
            actor=stakeholder,
            acceptance=acceptance,
            password="correct-horse-battery-staple",
            verdict="approve",
        )
    return acceptance


def test_a_signature_time_is_shown_in_the_viewers_time_zone(login, auditor, signed_acceptance):
    client = login(auditor)
    page = client.get(f"/risks/{signed_acceptance.pk}/print/").content.decode()
    assert "2026-12-01 16:30 CET" in page  # server default, Europe/Berlin
    response = client.post("/accounts/profile/time-zone/", {"time_zone": "America/New_York"})
    assert response.status_code == 302
    page = client.get(f"/risks/{signed_acceptance.pk}/print/").content.decode()
    assert "2026-12-01 10:30 EST" in page
    assert "2026-12-01 15:30 UTC" in page


def test_an_unknown_time_zone_is_refused_with_a_message(login, auditor):
    client = login(auditor)
    response = client.post(
        "/accounts/profile/time-zone/", {"time_zone": "Mars/Olympus"}, follow=True
    )
    assert "Unknown time zone" in response.content.decode()
    auditor.refresh_from_db()
    assert auditor.time_zone == ""

"""Preferences and digests: per person and event class (immediately, daily digest, not at
all), mandatory classes, the footer's signed unsubscribe link, one digest per day."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from config.notifications.models import Notification
from config.preferences import services as prefs
from config.preferences.digest import DIGEST_EVENT, digests_send_due
from risks import services as risks
from tests.conftest import require_postgres
from triggers.services import trigger_create

S = Notification.State


@pytest.fixture
def submitted(architect, stakeholder, stakeholder2, stakeholder3):
    """Owned by sam; signed by sofia and eric. Not yet signed by anyone."""
    acceptance = risks.acceptance_create(
        actor=architect,
        title="JS-readable tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        expires_on=timezone.localdate() + timedelta(days=120),
        signatories=[
            {"user": stakeholder2, "meaning": "security"},
            {"user": stakeholder3, "meaning": "engineering"},
        ],
    )
    trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=60)).isoformat()},
        risk_acceptance=acceptance,
    )
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    return acceptance


def approve(user, acceptance):
    risks.sign_verified(actor=user, acceptance=acceptance, verdict="approve")


@pytest.mark.django_db
def test_every_email_ends_with_the_preferences_link_and_optional_ones_with_unsubscribe(
    submitted, stakeholder, stakeholder2
):
    request = Notification.objects.get(event="signature.requested", user=stakeholder2)
    assert "/preferences/" in request.body_text and "/preferences/" in request.body_html
    # A signature request cannot be switched off: no unsubscribe link.
    assert "/preferences/unsubscribe/" not in request.body_text
    approve(stakeholder2, submitted)
    signed = Notification.objects.get(event="acceptance.signed", user=stakeholder)
    assert "/preferences/unsubscribe/" in signed.body_text
    assert "/preferences/unsubscribe/" in signed.body_html


@pytest.mark.django_db
def test_switched_off_is_not_emailed_but_stays_in_the_app(
    login, submitted, stakeholder, stakeholder2
):
    client = login(stakeholder)
    page = client.get("/preferences/").content.decode()
    # Mandatory classes are shown, not changeable.
    assert re.search(r'name="signature_requests" value="off"[^>]*disabled', page)
    response = client.post("/preferences/", {"acceptance_outcomes": "off"})
    assert response.status_code == 302
    approve(stakeholder2, submitted)
    row = Notification.objects.get(event="acceptance.signed", user=stakeholder)
    assert row.state == S.CANCELLED
    assert f'href="/notifications/{row.pk}/"' in client.get("/notifications/").content.decode()


@pytest.mark.django_db
def test_mandatory_classes_cannot_be_switched_off(stakeholder):
    for key in ("signature_requests", "trigger_fired"):
        for mode in ("off", "digest"):
            with pytest.raises(ValidationError):
                prefs.preference_set(user=stakeholder, event_class=key, mode=mode)


def _unsubscribe_link(row: Notification) -> str:
    return re.search(r"https?://[^/\s]+(/preferences/unsubscribe/[^\s]+/)", row.body_text).group(1)


@pytest.mark.django_db
def test_the_unsubscribe_link_works_without_login_and_refuses_tampering_and_age(
    client, submitted, stakeholder, stakeholder2, settings
):
    approve(stakeholder2, submitted)
    row = Notification.objects.get(event="acceptance.signed", user=stakeholder)
    link = _unsubscribe_link(row)
    # Valid, anonymous: a confirmation page, then the class is off.
    page = client.get(link)
    assert page.status_code == 200 and 'id="unsubscribe"' in page.content.decode()
    done = client.post(link)
    assert 'id="unsubscribed"' in done.content.decode()
    assert prefs.preferences_of(stakeholder)["acceptance_outcomes"] == "off"
    # Tampered: another user's id in the payload, or a changed signature.
    token = link.split("/")[-2]
    assert (
        client.get(
            link.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        ).status_code
        == 404
    )
    forged = prefs.unsubscribe_token(user_id=stakeholder2.pk, event_class="acceptance_outcomes")
    assert client.get(link.replace(token, forged[:-5] + token[-5:])).status_code == 404
    # Expired.
    later = timezone.now() + timedelta(seconds=settings.LEDGER_UNSUBSCRIBE_MAX_AGE_SECONDS + 60)
    with time_machine.travel(later):
        assert client.get(link).status_code == 404


def _held_for(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, state=S.HELD))


@pytest.mark.django_db
def test_digest_rows_are_held_and_sent_once_a_day_at_the_persons_hour(
    submitted, stakeholder, stakeholder2, stakeholder3, settings
):
    stakeholder.time_zone = "Asia/Tokyo"
    stakeholder.save(update_fields=["time_zone"])
    prefs.preference_set(user=stakeholder, event_class="acceptance_outcomes", mode="digest")
    approve(stakeholder2, submitted)
    approve(stakeholder3, submitted)  # accepted
    held = _held_for(stakeholder)
    assert {n.event for n in held} == {"acceptance.signed", "acceptance.accepted"}
    tokyo = ZoneInfo("Asia/Tokyo")
    day = timezone.now().astimezone(tokyo).date() + timedelta(days=1)
    before = datetime(
        day.year, day.month, day.day, settings.LEDGER_DIGEST_HOUR - 1, 59, tzinfo=tokyo
    )
    assert digests_send_due(now=before) == 0
    at = before + timedelta(minutes=1)
    assert digests_send_due(now=at) == 1
    digest = Notification.objects.get(event=DIGEST_EVENT)
    assert digest.user == stakeholder and digest.state == S.PENDING
    for n in held:
        assert n.subject in digest.body_text and n.subject in digest.body_html
    assert not _held_for(stakeholder)
    assert set(
        Notification.objects.filter(pk__in=[n.pk for n in held]).values_list("state", flat=True)
    ) == {S.DIGESTED}
    # Later the same day: nothing more.
    assert digests_send_due(now=at + timedelta(hours=3)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_digest_runs_send_one_digest(
    submitted, stakeholder, stakeholder2, stakeholder3, settings
):
    require_postgres()
    prefs.preference_set(user=stakeholder, event_class="acceptance_outcomes", mode="digest")
    approve(stakeholder2, submitted)
    approve(stakeholder3, submitted)
    assert len(_held_for(stakeholder)) == 2
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    now = datetime(day.year, day.month, day.day, settings.LEDGER_DIGEST_HOUR, 5, tzinfo=zone)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(digests_send_due(now=now))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(results) == [0, 1]  # both ran; exactly one sent
    assert Notification.objects.filter(event=DIGEST_EVENT).count() == 1
    assert not _held_for(stakeholder)

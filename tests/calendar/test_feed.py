"""The per-person iCalendar feed: secret URL, revocable, parses, stable UIDs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from icalendar import Calendar

from adr.models import Decision
from risks.demo import TITLE
from risks.models import Mitigation, RiskAcceptance
from triggers import services as trigger_services
from triggers.demo import SUNSET
from triggers.models import Trigger

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.get(username=name)


def _create_url(client, user) -> str:
    client.force_login(user)
    response = client.post("/calendar/regenerate/")
    assert response.status_code == 200
    url = re.search(r'<code id="calendar-url">([^<]+)</code>', response.content.decode()).group(1)
    assert url.startswith("http://testserver/calendar/feed/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


def _events(client, path) -> dict[str, tuple[date, str]]:
    client.logout()  # the feed is read by a calendar client, not a browser session
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    found = {}
    for event in calendar.walk("VEVENT"):
        assert event["DTSTAMP"]
        start = event.decoded("DTSTART")
        assert isinstance(start, date)
        found[str(event["UID"])] = (start, str(event["SUMMARY"]))
    return found


@pytest.fixture
def demo():
    call_command("seed_demo")


def test_the_demo_risk_owners_feed_has_the_sunset_the_expiry_and_the_mitigation_due(client, demo):
    sam = _user("sam")
    path = _create_url(client, sam)
    events = _events(client, path)
    sunset = Trigger.objects.get(name=SUNSET)
    acceptance = RiskAcceptance.objects.get(title=TITLE)
    planned = Mitigation.objects.get(acceptance=acceptance, status="planned")
    days = {uid.split("@")[0]: day for uid, (day, _summary) in events.items()}
    assert days[f"trigger-{sunset.uuid}-fires"] == sunset.fire_day
    for lead in sunset.lead_days:
        assert days[f"trigger-{sunset.uuid}-warning-{lead}d"] == sunset.fire_day - timedelta(
            days=lead
        )
    assert days[f"acceptance-{acceptance.pk}-expires"] == acceptance.expires_on
    assert days[f"mitigation-{planned.pk}-due"] == planned.due_on
    summaries = " ".join(s for _d, s in events.values())
    assert "Legacy frontends sunset" in summaries and "Risk acceptance expires" in summaries


def test_a_date_change_keeps_the_uid_and_moves_the_event(client, demo):
    alice = _user("alice")
    path = _create_url(client, alice)
    sunset = Trigger.objects.get(name=SUNSET)
    uid = f"trigger-{sunset.uuid}-fires"
    before = {u.split("@")[0]: d for u, (d, _s) in _events(client, path).items()}
    new_day = sunset.fire_day + timedelta(days=21)
    trigger_services.trigger_update(
        actor=alice,
        trigger=sunset,
        name=sunset.name,
        description=sunset.description,
        params={**sunset.params, "date": new_day.isoformat()},
        escalation_contact=sunset.escalation_contact,
    )
    after = {u.split("@")[0]: d for u, (d, _s) in _events(client, path).items()}
    assert before[uid] != new_day and after[uid] == new_day
    assert set(before) == set(after)


def test_the_revisit_date_of_a_decision_in_my_log_is_in_my_feed(client, demo):
    alice = _user("alice")
    decision = Decision.objects.filter(created_by=alice).first()
    Decision.objects.filter(pk=decision.pk).update(revisit_by=date(2027, 3, 1))
    events = _events(client, _create_url(client, alice))
    assert events[next(u for u in events if u.startswith(f"decision-{decision.pk}-"))][0] == (
        date(2027, 3, 1)
    )
    # The auditor writes to no log: not in hers.
    assert not any(
        u.startswith("decision-") for u in _events(client, _create_url(client, _user("audrey")))
    )


def test_unknown_revoked_and_regenerated_tokens_are_a_plain_404(client, demo):
    sam = _user("sam")
    first = _create_url(client, sam)
    second = _create_url(client, sam)  # regenerating revokes the first
    client.logout()
    assert client.get(second).status_code == 200
    old = client.get(first)
    unknown = client.get("/calendar/feed/not-a-token.ics")
    assert old.status_code == unknown.status_code == 404

    # No hint that the old one ever existed: the same page (but for per-response tokens).
    def plain(response):
        return re.sub(rb'(nonce="|X-CSRFToken": ")[^"]+"', b"", response.content)

    assert plain(old) == plain(unknown)
    client.force_login(sam)
    assert client.post("/calendar/revoke/").status_code == 302
    client.logout()
    assert client.get(second).status_code == 404


def test_the_profile_page_offers_to_create_then_to_regenerate_or_revoke(client, demo):
    sam = _user("sam")
    client.force_login(sam)
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="calendar-create"' in page and 'id="calendar-revoke"' not in page
    _create_url(client, sam)
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="calendar-regenerate"' in page and 'id="calendar-revoke"' in page
    assert sam.calendar_feeds.filter(revoked_at=None).count() == 1


def test_a_feed_of_a_deactivated_user_is_gone(client, demo):
    sam = _user("sam")
    path = _create_url(client, sam)
    get_user_model().objects.filter(pk=sam.pk).update(is_active=False)
    client.logout()
    assert client.get(path).status_code == 404
    assert timezone.now()

"""The calendar feed leaks no team-private log (issue 14): a private Payments log with a
decision to revisit, an acceptance that expires, a mitigation due and a date trigger.
Read through the real feed URL (calendar:feed, a token from calendar_feed_regenerate),
as a calendar client would: Payments' members get each event; people outside the team
get none of them, and none of the titles is anywhere in the .ics bytes, even though
each of them was tied to the rows while in the team (watcher, escalation contact,
mitigation owner, the former member who wrote a decision there). A signatory named on
the acceptance from outside the team reads that acceptance (risks.access: the people an
acceptance names read it) and so gets its expiry and its trigger, never the log's
decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from adr import services as adr
from config.accounts.teams import membership_remove
from config.calendar.services import calendar_feed_regenerate
from risks import services as risks
from tests.conftest import make_user
from tests.support.teams import payments_and_identity
from triggers import services as triggers

pytestmark = pytest.mark.django_db

# Each row's title (and the trigger's description): none may reach an outsider's feed.
REVISIT = "Zanzibar settlement routing"
REVISIT_BY_FORMER = "Quokka ledger split"
EXPIRY = "Marzipan card vault kept on TLS 1.1"
MITIGATION = "Rotate the Tamarind HSM keys"
TRIGGER = "Okapi processor sunset"
TRIGGER_NOTE = "Capybara contract ends"
ADR_AND_TRIGGER_SECRETS = (REVISIT, REVISIT_BY_FORMER, TRIGGER, TRIGGER_NOTE)
RISK_SECRETS = (EXPIRY, MITIGATION)

OUTSIDERS = ("org_architect", "org_stakeholder", "idn_architect", "former_member")
# Watchers and escalation contacts must read the trigger (triggers.services refuses
# others by name): these outsiders are in the team while they are tied to the rows.
LEAVERS = ("org_architect", "org_stakeholder", "idn_architect", "former_member")


@pytest.fixture
def world(django_user_model, staff):
    people = {
        "pay_architect": make_user(django_user_model, "pat", None),
        "pay_stakeholder": make_user(django_user_model, "paula", None),
        "former_member": make_user(django_user_model, "fred", None),
        "org_architect": make_user(django_user_model, "orla", "architect"),
        "org_stakeholder": make_user(django_user_model, "sid", "stakeholder"),
        "idn_architect": make_user(django_user_model, "ian", None),
        "named_signatory": make_user(django_user_model, "cora", "stakeholder"),
    }
    pat, paula, fred = people["pay_architect"], people["pay_stakeholder"], people["former_member"]
    payments, _identity = payments_and_identity(
        staff=staff,
        pay={
            pat: "architect",
            paula: "stakeholder",
            fred: "architect",
            people["org_architect"]: "stakeholder",
            people["org_stakeholder"]: "stakeholder",
            people["idn_architect"]: "stakeholder",
        },
        idn={people["idn_architect"]: "architect"},
    )
    log = adr.log_create(actor=staff, key="PAY", name="Payments", team=payments, private=True)
    today = timezone.localdate()
    decision = adr.decision_create(
        actor=pat, log=log, title=REVISIT, revisit_by=today + timedelta(days=40)
    )
    by_former = adr.decision_create(
        actor=fred, log=log, title=REVISIT_BY_FORMER, revisit_by=today + timedelta(days=41)
    )
    acceptance = risks.acceptance_create(
        actor=pat,
        title=EXPIRY,
        risk_statement="Kept live until the vault moves.",
        owner=paula,
        decisions=[decision],
        expires_on=today + timedelta(days=60),
        signatories=[{"user": people["named_signatory"], "meaning": "security lead"}],
        mitigations=[{"description": MITIGATION, "owner": fred, "due_on": today + timedelta(30)}],
    )
    trigger = triggers.trigger_create(
        actor=pat,
        name=TRIGGER,
        description=TRIGGER_NOTE,
        kind="date",
        params={"date": (today + timedelta(days=90)).isoformat(), "lead_days": [7]},
        decisions=[decision],
        risk_acceptance=acceptance,
        watchers=[people["org_architect"], people["org_stakeholder"], fred],
        escalation_contact=people["idn_architect"],
    )
    risks.acceptance_submit(actor=pat, acceptance=acceptance)
    # Fred wrote in the log, owns the mitigation, watches the trigger; the others watch
    # it or are its escalation contact; then they all leave the team.
    for persona in LEAVERS:
        membership_remove(actor=staff, team=payments, user=people[persona])
    mitigation = acceptance.mitigations.get()
    uids = {
        "revisit": f"decision-{decision.pk}-revisit",
        "revisit_by_former": f"decision-{by_former.pk}-revisit",
        "expiry": f"acceptance-{acceptance.pk}-expires",
        "mitigation": f"mitigation-{mitigation.pk}-due",
        "trigger": f"trigger-{trigger.uuid}-fires",
        "trigger_warning": f"trigger-{trigger.uuid}-warning-7d",
    }
    return people, uids


def feed(client, user) -> tuple[set[str], bytes]:
    """(the UIDs without host, the unfolded .ics bytes) of ``user``'s feed, fetched by
    its secret URL with no session, as a calendar client does."""
    _feed, raw = calendar_feed_regenerate(user=user)
    client.logout()
    response = client.get(reverse("calendar:feed", kwargs={"token": raw}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    uids = {str(event["UID"]).split("@")[0] for event in calendar.walk("VEVENT")}
    # RFC 5545 folds long lines (CRLF + space): unfold so a title is one run of bytes.
    return uids, response.content.replace(b"\r\n ", b"")


def ours(uids: dict[str, str], got: set[str]) -> set[str]:
    return {name for name, uid in uids.items() if uid in got}


def test_the_members_of_the_team_see_each_event(client, world):
    people, uids = world
    pat_uids, pat_ics = feed(client, people["pay_architect"])
    # The architect: the decisions to revisit in the log he writes, the acceptance he
    # drafted, his trigger.
    assert ours(uids, pat_uids) == {
        "revisit",
        "revisit_by_former",
        "expiry",
        "trigger",
        "trigger_warning",
    }
    for title in (REVISIT, REVISIT_BY_FORMER, EXPIRY, TRIGGER, TRIGGER_NOTE):
        assert title.encode() in pat_ics
    paula_uids, paula_ics = feed(client, people["pay_stakeholder"])
    # The owner: her acceptance, its mitigation, the trigger on it.
    assert ours(uids, paula_uids) == {"expiry", "mitigation", "trigger", "trigger_warning"}
    for title in (EXPIRY, MITIGATION, TRIGGER):
        assert title.encode() in paula_ics


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_no_decision_or_trigger_of_the_private_log_reaches_an_outsiders_feed(
    client, world, persona
):
    people, uids = world
    got, ics = feed(client, people[persona])
    assert not ours(uids, got) & {"revisit", "revisit_by_former", "trigger", "trigger_warning"}
    for secret in ADR_AND_TRIGGER_SECRETS:
        assert secret.encode() not in ics


@pytest.mark.parametrize("persona", ("org_architect", "org_stakeholder", "idn_architect"))
def test_no_acceptance_or_mitigation_reaches_an_outsider_who_never_touched_them(
    client, world, persona
):
    people, uids = world
    got, ics = feed(client, people[persona])
    assert not ours(uids, got) & {"expiry", "mitigation"}
    for secret in RISK_SECRETS:
        assert secret.encode() not in ics


# The former member still owns the mitigation: risks/calendar.py filters by the read
# rule (risks.access), so neither its due date nor the acceptance's expiry reaches him.
def test_no_acceptance_or_mitigation_reaches_a_former_member(client, world):
    people, uids = world
    got, ics = feed(client, people["former_member"])
    assert not ours(uids, got) & {"expiry", "mitigation"}
    for secret in RISK_SECRETS:
        assert secret.encode() not in ics


def test_a_signatory_named_from_outside_the_team_gets_the_acceptance_not_the_log(client, world):
    people, uids = world
    got, ics = feed(client, people["named_signatory"])
    assert ours(uids, got) == {"expiry", "trigger", "trigger_warning"}
    assert EXPIRY.encode() in ics
    for secret in (REVISIT, REVISIT_BY_FORMER):
        assert secret.encode() not in ics

"""The risks app's home page sections and calendar events follow the acceptances' logs
(risks.access.readable_acceptance_q): someone who left a private log's team no longer
sees the drafts and expiries of its acceptances there."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from adr import services as adr
from config.accounts.teams import membership_remove
from config.calendar.registry import events_for
from risks import services as risks
from risks.calendar import AcceptanceDates
from risks.inbox import MyDrafts
from tests.conftest import make_user
from tests.support.teams import payments_and_identity
from triggers.services import trigger_create

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement"


def _acceptance(actor, *, owner, decisions, title, submit=False):
    acceptance = risks.acceptance_create(
        actor=actor,
        title=title,
        risk_statement="Kept live on purpose.",
        owner=owner,
        decisions=decisions,
        expires_on=timezone.localdate() + timedelta(days=20),
        signatories=[{"user": owner, "meaning": "risk owner"}],
    )
    if submit:
        trigger_create(
            actor=actor,
            name="Sunset",
            kind="date",
            params={"date": (timezone.localdate() + timedelta(days=10)).isoformat()},
            risk_acceptance=acceptance,
        )
        acceptance.refresh_from_db()
        risks.acceptance_submit(actor=actor, acceptance=acceptance)
    return acceptance


@pytest.fixture
def world(django_user_model, staff):
    lee = make_user(django_user_model, "lee", "stakeholder")  # reads the open logs anyway
    owner = make_user(django_user_model, "paula", None)
    pay, _ = payments_and_identity(
        staff=staff, pay={lee: "architect", owner: "stakeholder"}, idn={}
    )
    log = adr.log_create(actor=staff, key="PAY", name="Payments", team=pay, private=True)
    decision = adr.decision_create(actor=staff, log=log, title=f"{SECRET} routing")
    made = {
        "draft": _acceptance(lee, owner=owner, decisions=[decision], title=f"{SECRET} draft"),
        "awaiting": _acceptance(
            lee, owner=owner, decisions=[decision], title=f"{SECRET} awaiting", submit=True
        ),
        # Linked to no decision: every reader reads it, so it stays in view.
        "open": _acceptance(lee, owner=owner, decisions=[], title="Open draft"),
    }
    return staff, pay, lee, made


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _titles(user) -> tuple[set[str], set[str]]:
    user = _fresh(user)
    today = timezone.localdate()
    drafts = {a.title for a in MyDrafts().open_items(user=user, today=today)}
    events = {e.summary for e in AcceptanceDates().events(user=user)}
    return drafts, events


def test_a_leaver_no_longer_sees_a_private_logs_drafts_or_expiries(world, login):
    staff, pay, lee, _ = world
    drafts, events = _titles(lee)
    assert drafts == {f"{SECRET} draft", "Open draft"}
    assert f"Risk acceptance expires: {SECRET} awaiting" in events
    assert SECRET in login(lee).get("/").content.decode()

    membership_remove(actor=staff, team=pay, user=lee)
    drafts, events = _titles(lee)
    assert drafts == {"Open draft"}
    assert not any(SECRET in e for e in events)
    assert not any(SECRET in e.summary for e in events_for(_fresh(lee)))
    home = login(lee).get("/").content.decode()
    assert "Open draft" in home and SECRET not in home


def test_someone_with_no_role_has_no_risk_items(world, outsider):
    today: date = timezone.localdate()
    assert list(MyDrafts().open_items(user=outsider, today=today)) == []
    assert AcceptanceDates().events(user=outsider) == []

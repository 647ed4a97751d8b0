"""Risk acceptances and triggers follow the logs of their decisions (risks.access,
triggers.access): who drafts, edits and reads them, page by page and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from adr import services as adr
from risks import services as risks
from risks.models import RiskAcceptance
from tests.conftest import make_user
from tests.support.teams import payments_and_identity, token_client
from triggers import services as triggers
from triggers.models import Trigger

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement"


@pytest.fixture
def world(django_user_model, staff, stakeholder):
    people = {
        "staff": staff,
        "org_architect": make_user(django_user_model, "orla", "architect"),
        "pay_architect": make_user(django_user_model, "pat", None),
        "idn_architect": make_user(django_user_model, "ian", None),
        "stakeholder": stakeholder,
        "pay_owner": make_user(django_user_model, "paula", None),
    }
    pay, idn = payments_and_identity(
        staff=staff,
        pay={people["pay_architect"]: "architect", people["pay_owner"]: "stakeholder"},
        idn={people["idn_architect"]: "architect"},
    )
    pay_log = adr.log_create(actor=staff, key="PAY", name="Payments", team=pay, private=True)
    idn_log = adr.log_create(actor=staff, key="IDN", name="Identity", team=idn)
    decisions = {
        "PAY": adr.decision_create(actor=staff, log=pay_log, title=f"{SECRET} routing"),
        "IDN": adr.decision_create(actor=staff, log=idn_log, title="Token format"),
    }
    return people, decisions


def _acceptance(actor, *, owner, decisions, title):
    return risks.acceptance_create(
        actor=actor,
        title=title,
        risk_statement="Kept live on purpose.",
        owner=owner,
        decisions=decisions,
        expires_on=timezone.localdate() + timedelta(days=30),
    )


def _trigger(actor, *, decisions=(), risk_acceptance=None, name="Sunset"):
    return triggers.trigger_create(
        actor=actor,
        name=name,
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=90)).isoformat()},
        decisions=decisions,
        risk_acceptance=risk_acceptance,
    )


@pytest.mark.parametrize(
    "persona, writes_pay, writes_idn",
    [
        ("staff", True, True),
        ("org_architect", False, True),
        ("pay_architect", True, False),
        ("idn_architect", False, True),
        ("stakeholder", False, False),
    ],
)
def test_drafting_an_acceptance_or_a_trigger_needs_write_access_to_every_linked_log(
    world, persona, writes_pay, writes_idn
):
    people, decisions = world
    user = people[persona]
    owner = people["stakeholder"]
    for key, allowed in (("PAY", writes_pay), ("IDN", writes_idn)):
        linked = [decisions[key]]
        if allowed:
            _acceptance(user, owner=owner, decisions=linked, title=f"ok {key}")
            _trigger(user, decisions=linked, name=f"ok {key}")
        else:
            with pytest.raises(PermissionDenied):
                _acceptance(user, owner=owner, decisions=linked, title=f"refused {key}")
            with pytest.raises(PermissionDenied):
                _trigger(user, decisions=linked, name=f"refused {key}")
    both = list(decisions.values())
    if writes_pay and writes_idn:
        _acceptance(user, owner=owner, decisions=both, title="both")
    else:
        with pytest.raises(PermissionDenied):
            _acceptance(user, owner=owner, decisions=both, title="both")
    assert not RiskAcceptance.objects.filter(title__startswith="refused").exists()
    assert not Trigger.objects.filter(name__startswith="refused").exists()


def test_an_acceptance_without_decisions_belongs_to_its_owners_teams(world):
    people, _ = world
    for_pay = _acceptance(
        people["pay_architect"], owner=people["pay_owner"], decisions=[], title="Pay's"
    )
    with pytest.raises(PermissionDenied):
        _acceptance(people["idn_architect"], owner=people["pay_owner"], decisions=[], title="x")
    with pytest.raises(PermissionDenied):
        risks.acceptance_update(actor=people["idn_architect"], acceptance=for_pay, title="Taken")
    # Linking it to a log its editor cannot write is refused too.
    with pytest.raises(PermissionDenied):
        risks.acceptance_update(
            actor=people["idn_architect"], acceptance=for_pay, decisions=[], title="Taken"
        )
    risks.acceptance_update(actor=people["org_architect"], acceptance=for_pay, title="Org edits")


@pytest.fixture
def private_acceptance(world):
    people, decisions = world
    return _acceptance(
        people["pay_architect"],
        owner=people["pay_owner"],
        decisions=[decisions["PAY"]],
        title=f"{SECRET} acceptance",
    )


def test_a_trigger_on_a_private_logs_acceptance_is_changed_by_that_team_only(
    world, private_acceptance
):
    people, _ = world
    acceptance = private_acceptance
    trigger = _trigger(people["pay_architect"], risk_acceptance=acceptance, name=f"{SECRET} end")
    for outsider in ("org_architect", "idn_architect"):
        with pytest.raises(PermissionDenied):
            triggers.trigger_disarm(actor=people[outsider], trigger=trigger, reason="mine now")
        with pytest.raises(PermissionDenied):
            _trigger(people[outsider], risk_acceptance=acceptance, name="refused")
    triggers.trigger_disarm(actor=people["pay_architect"], trigger=trigger, reason="ours")


@pytest.mark.parametrize("persona", ["org_architect", "idn_architect", "stakeholder"])
def test_acceptances_and_triggers_of_a_private_log_leak_nowhere(
    world, private_acceptance, login, persona
):
    people, decisions = world
    acceptance = private_acceptance
    trigger = _trigger(people["pay_architect"], decisions=[decisions["PAY"]], name=f"{SECRET} end")
    client = login(people[persona])
    for url in ("/risks/", "/triggers/", f"/search/?q={SECRET.split()[0]}", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    for url in (
        f"/risks/{acceptance.pk}/",
        f"/triggers/{trigger.pk}/",
        f"/triggers/{trigger.pk}/history/",
    ):
        assert client.get(url).status_code == 404, url
    token = token_client(people[persona])
    assert SECRET not in token.get("/api/v1/risk-acceptances/").content.decode()
    assert SECRET not in token.get("/api/v1/triggers/").content.decode()
    assert token.get(f"/api/v1/risk-acceptances/{acceptance.pk}/").status_code == 404
    assert token.get(f"/api/v1/triggers/{trigger.pk}/").status_code == 404
    # The team reads them.
    team = login(people["pay_owner"])
    assert SECRET in team.get("/risks/").content.decode()
    assert SECRET in team.get("/triggers/").content.decode()
    assert team.get(f"/triggers/{trigger.pk}/").status_code == 200

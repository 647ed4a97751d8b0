"""Who acknowledges a fired trigger follows its logs (triggers.access.may_acknowledge):
staff, the trigger's writers (its logs' architects), and the people it involves who read
it. An organisation-wide architect does not acknowledge a trigger of another team's
private log; the team's architect does; a watcher who left the team is no longer asked."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from adr import services as adr
from config.accounts.teams import membership_remove
from tests.support.teams import make_people, private_and_open_logs, token_client
from triggers import services as triggers
from triggers.access import acknowledger_ids, may_acknowledge
from triggers.models import FiredEvent, Trigger
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement"
PERSONAS = (
    "staff",
    "org_architect",
    "pay_architect",
    "idn_architect",
    "pay_watcher",
    "leaver",
    "stakeholder",
)
# Who may acknowledge the fired trigger of each log.
ACKNOWLEDGERS = {
    "PAY": {"staff", "pay_architect", "pay_watcher"},
    "IDN": {"staff", "org_architect", "idn_architect", "pay_watcher", "leaver"},
}


@pytest.fixture
def world(django_user_model, staff):
    people = make_people(
        django_user_model,
        staff,
        org_architect=("orla", "architect"),
        pay_architect=("pat", None),
        idn_architect=("ian", None),
        pay_watcher=("paula", None),
        leaver=("lee", "stakeholder"),
        stakeholder=("sam", "stakeholder"),
    )
    logs = private_and_open_logs(
        staff=staff,
        pay={
            people["pay_architect"]: "architect",
            people["pay_watcher"]: "stakeholder",
            people["leaver"]: "stakeholder",
        },
        idn={people["idn_architect"]: "architect"},
    )
    initiative = triggers.initiative_create(actor=staff, name="Ledger migration")
    fired = {}
    for key, log in logs.items():
        decision = adr.decision_create(actor=staff, log=log, title=f"{SECRET} {key}")
        fired[key] = triggers.trigger_create(
            actor=staff,
            name=f"{SECRET} sunset {key}",
            kind="date",
            params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
            decisions=[decision],
            watchers=[people["pay_watcher"], people["leaver"]],
        )
        triggers.trigger_create(
            actor=staff,
            name=f"{SECRET} waits {key}",
            kind="initiative",
            params={},
            initiative=initiative,
            decisions=[decision],
        )
    # The leaver watched both while in Payments, then left the team.
    membership_remove(actor=staff, team=logs["PAY"].team, user=people["leaver"])
    sweep()
    for trigger in fired.values():
        trigger.refresh_from_db()
        assert trigger.state == "fired"
    return people, fired, initiative


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_acknowledging_follows_the_triggers_logs(world, persona):
    people, fired, _ = world
    user = _fresh(people[persona])
    for key, trigger in fired.items():
        allowed = persona in ACKNOWLEDGERS[key]
        assert may_acknowledge(user, trigger) is allowed, key
        if allowed:
            triggers.trigger_acknowledge(actor=user, trigger=trigger)
            Trigger.objects.filter(pk=trigger.pk).update(state="fired")  # for the next persona
        else:
            with pytest.raises(PermissionDenied):
                triggers.trigger_acknowledge(actor=user, trigger=trigger)
            assert Trigger.objects.get(pk=trigger.pk).state == "fired"


def test_an_organisation_architect_cannot_acknowledge_a_private_logs_trigger_over_the_api(
    world,
):
    people, fired, _ = world
    pay = fired["PAY"]
    orla = token_client(people["org_architect"])
    assert orla.post(f"/api/v1/triggers/{pay.pk}/acknowledge/").status_code == 404
    event = FiredEvent.objects.get(trigger=pay)
    assert orla.post(f"/api/v1/fired-events/{event.pk}/acknowledge/").status_code == 404
    assert Trigger.objects.get(pk=pay.pk).state == "fired"
    # The team's architect does, over either endpoint.
    pat = token_client(people["pay_architect"])
    response = pat.post(
        f"/api/v1/fired-events/{event.pk}/acknowledge/",
        data=json.dumps({"note": "ours"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert FiredEvent.objects.get(pk=event.pk).acknowledged_by == people["pay_architect"]


def test_the_fired_events_of_a_private_log_are_listed_to_its_readers_only(world):
    people, fired, _ = world
    pay_event = FiredEvent.objects.get(trigger=fired["PAY"])
    for persona, sees in (("org_architect", False), ("leaver", False), ("pay_watcher", True)):
        client = token_client(people[persona])
        listed = {row["id"] for row in client.get("/api/v1/fired-events/").json()["results"]}
        assert (pay_event.pk in listed) is sees, persona
        detail = client.get(f"/api/v1/fired-events/{pay_event.pk}/").status_code
        assert detail == (200 if sees else 404), persona


def test_the_page_offers_acknowledging_to_the_team_architect_only(world, login):
    people, fired, _ = world
    page = login(people["pay_architect"]).get(f"/triggers/{fired['PAY'].pk}/")
    assert 'id="acknowledge"' in page.content.decode()
    page = login(people["idn_architect"]).get(f"/triggers/{fired['PAY'].pk}/")
    assert page.status_code == 404


def test_only_those_who_may_acknowledge_are_counted_as_acknowledgers_in_one_query(
    world, django_assert_num_queries
):
    people, fired, _ = world
    involved = [_fresh(people[p]) for p in ("pay_watcher", "leaver", "staff")]
    for key, trigger in fired.items():
        with django_assert_num_queries(1):
            ids = acknowledger_ids(involved, trigger=trigger)
        expected = {u.pk for u in involved if may_acknowledge(_fresh(u), trigger)}
        assert ids == expected, key
    assert people["leaver"].pk not in acknowledger_ids(involved, trigger=fired["PAY"])


def test_an_initiative_shows_only_the_waiting_triggers_its_reader_reads(world, login):
    people, _, initiative = world
    page = login(people["org_architect"]).get(f"/triggers/initiatives/{initiative.pk}/")
    body = page.content.decode()
    assert f"{SECRET} waits IDN" in body and f"{SECRET} waits PAY" not in body
    body = login(people["pay_watcher"]).get(f"/triggers/initiatives/{initiative.pk}/")
    assert f"{SECRET} waits PAY" in body.content.decode()

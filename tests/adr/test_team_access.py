"""Teams and per-log permissions (adr.access), URL by URL and persona by persona.

The world: an organisation-wide log ORG, the Identity team's log IDN (readable by all),
the Payments team's private log PAY. Personas: staff, an organisation-wide architect,
the Payments architect, the Identity architect, an organisation-wide stakeholder and
auditor, a Payments stakeholder with no organisation-wide role, and a user with no role.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from adr import services
from adr.access import can_write_log, readable_decisions, readable_logs
from adr.models import Decision, DecisionLog
from tests.conftest import make_user
from tests.support.teams import payments_and_identity, token_client

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement routing"
PERSONAS = (
    "staff",
    "org_architect",
    "pay_architect",
    "idn_architect",
    "stakeholder",
    "auditor",
    "pay_stakeholder",
    "nobody",
)
# Who writes in which log (everybody else gets 403, or 404 where they may not read).
WRITERS = {
    "ORG": {"staff", "org_architect"},
    "IDN": {"staff", "org_architect", "idn_architect"},
    "PAY": {"staff", "pay_architect"},
}
# Who reads the private log PAY.
PAY_READERS = {"staff", "pay_architect", "pay_stakeholder"}
READERS = set(PERSONAS) - {"nobody"}


@pytest.fixture
def world(django_user_model, staff):
    people = {
        "staff": staff,
        "org_architect": make_user(django_user_model, "orla", "architect"),
        "pay_architect": make_user(django_user_model, "pat", None),
        "idn_architect": make_user(django_user_model, "ian", None),
        "stakeholder": make_user(django_user_model, "sam", "stakeholder"),
        "auditor": make_user(django_user_model, "audrey", "auditor"),
        "pay_stakeholder": make_user(django_user_model, "paula", None),
        "nobody": make_user(django_user_model, "olga", None),
    }
    pay, idn = payments_and_identity(
        staff=staff,
        pay={people["pay_architect"]: "architect", people["pay_stakeholder"]: "stakeholder"},
        idn={people["idn_architect"]: "architect"},
    )
    logs = {
        "ORG": services.log_create(actor=staff, key="ORG", name="Organisation"),
        "IDN": services.log_create(actor=staff, key="IDN", name="Identity", team=idn),
        "PAY": services.log_create(
            actor=people["pay_architect"], key="PAY", name="Payments", team=pay, private=True
        ),
    }
    made = {}
    for key, log in logs.items():
        title = SECRET if key == "PAY" else f"Open decision in {key}"
        made[key] = services.decision_create(
            actor=staff, log=log, title=title, revisit_by="2030-01-01"
        )
    # An open decision relates to the private one: the link shows only to its readers.
    services.relation_add(actor=staff, source=made["IDN"], target=made["PAY"], kind="relates_to")
    return people, logs


def _fresh(user):
    """The user as a new request sees them (no cached roles)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_services_let_only_the_logs_writers_write(world, persona):
    people, logs = world
    user = _fresh(people[persona])
    for key, log in logs.items():
        decision = Decision.objects.get(log=log, number=1)
        allowed = persona in WRITERS[key]
        assert can_write_log(user, log) is allowed, key
        if allowed:
            services.decision_create(actor=user, log=log, title="Allowed")
            services.decision_update(actor=user, decision=decision, title="Edited")
            services.option_save(actor=user, decision=decision, title="An option")
            services.log_update(actor=user, log=log, name=log.name + "!")
            continue
        for write in (
            lambda: services.decision_create(actor=user, log=log, title="Refused"),
            lambda: services.decision_update(actor=user, decision=decision, title="Refused"),
            lambda: services.decision_change_status(
                actor=user, decision=decision, status="accepted"
            ),
            lambda: services.option_save(actor=user, decision=decision, title="Refused"),
            lambda: services.log_update(actor=user, log=log, name="Refused"),
            lambda: services.decision_save_full(actor=user, decision=None, log=log, fields={}),
        ):
            with pytest.raises(PermissionDenied):
                write()
        assert not Decision.objects.filter(title="Refused").exists()


def test_a_team_architect_cannot_move_a_log_out_of_reach_or_create_an_organisation_log(world):
    people, logs = world
    pat = _fresh(people["pay_architect"])
    with pytest.raises(PermissionDenied):
        services.log_update(actor=pat, log=logs["PAY"], name="Payments", team=None)
    with pytest.raises(PermissionDenied):
        services.log_create(actor=pat, key="MINE", name="Not a team log")
    assert DecisionLog.objects.get(key="PAY").team is not None


def test_only_a_teams_log_can_be_private(world):
    people, _ = world
    with pytest.raises(ValidationError):
        services.log_create(actor=people["staff"], key="PRIV", name="Nobody's", private=True)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_private_log_is_read_by_its_team_and_staff_only(world, persona):
    people, _ = world
    user = _fresh(people[persona])
    keys = set(readable_logs(user).values_list("key", flat=True))
    titles = set(readable_decisions(user).values_list("title", flat=True))
    if persona == "nobody":
        assert keys == set() and titles == set()
    elif persona in PAY_READERS:
        assert keys == {"ORG", "IDN", "PAY"} and SECRET in titles
    else:
        assert keys == {"ORG", "IDN"} and SECRET not in titles


def _shows_pay(body: str) -> bool:
    """Any trace of the private log or its decision on a page."""
    return any(m in body for m in (SECRET, "PAY-0001", "/decisions/logs/PAY/", 'value="PAY"'))


def _pages():
    return [
        "/",
        "/decisions/IDN-0001/",
        "/decisions/logs/IDN/map/",
        "/decisions/",
        "/decisions/?log=PAY",
        "/decisions/logs/",
        f"/search/?q={SECRET.split()[0]}",
        f"/decisions/?q={SECRET.split()[0]}",
    ]


@pytest.mark.parametrize("persona", sorted(READERS - PAY_READERS))
def test_a_private_log_leaks_into_no_page_list_search_or_export(world, login, persona):
    people, _ = world
    client = login(people[persona])
    for url in _pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _shows_pay(response.content.decode()), url
    for url in (
        "/decisions/logs/PAY/",
        "/decisions/PAY-0001/",
        "/decisions/PAY-0001/history/",
        "/decisions/logs/PAY/map/",
        "/decisions/io/PAY/export.zip",
        "/decisions/PAY-0001/edit/",
        "/decisions/logs/PAY/edit/",
        "/decisions/io/PAY/import/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", sorted(PAY_READERS))
def test_the_team_reads_its_private_log_everywhere(world, login, persona):
    people, _ = world
    client = login(people[persona])
    for url in _pages()[1:]:
        assert _shows_pay(client.get(url).content.decode()), url
    for url in ("/decisions/logs/PAY/", "/decisions/PAY-0001/", "/decisions/io/PAY/export.zip"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_edit_pages_and_controls_agree_with_the_rule(world, login, persona):
    """A control is shown exactly when its page answers 200 (the crawl test's rule)."""
    people, _ = world
    client = login(people[persona])
    for key in ("ORG", "IDN", "PAY"):
        readable = persona in READERS and (key != "PAY" or persona in PAY_READERS)
        edit = client.get(f"/decisions/{key}-0001/edit/").status_code
        if persona in WRITERS[key]:
            assert edit == 200, key
        else:
            assert edit == (403 if readable or persona == "nobody" else 404), key
        if not readable:
            continue
        page = client.get(f"/decisions/logs/{key}/").content.decode()
        detail = client.get(f"/decisions/{key}-0001/").content.decode()
        shown = persona in WRITERS[key]
        assert (f"/decisions/logs/{key}/edit/" in page) is shown, key
        assert (f"/decisions/new/?log={key}" in page) is shown, key
        assert (f"/decisions/{key}-0001/edit/" in detail) is shown, key


@pytest.mark.parametrize("persona", PERSONAS)
def test_posting_a_status_change_outside_ones_logs_changes_nothing(world, login, persona):
    people, _ = world
    client = login(people[persona])
    for key in ("ORG", "IDN", "PAY"):
        client.post(f"/decisions/{key}-0001/status/", {"status": "accepted", "reason": "x"})
        status = Decision.objects.get(log__key=key, number=1).status
        assert (status == "accepted") is (persona in WRITERS[key]), key


@pytest.mark.parametrize("persona", sorted(READERS))
def test_the_api_lists_and_writes_by_the_same_rule(world, persona):
    people, logs = world
    api = token_client(people[persona])
    reads_pay = persona in PAY_READERS
    listed = api.get("/api/v1/decisions/").json()
    titles = {d["title"] for d in listed["results"]}
    assert (SECRET in titles) is reads_pay
    log_keys = {log["key"] for log in api.get("/api/v1/logs/").json()["results"]}
    assert ("PAY" in log_keys) is reads_pay
    assert api.get("/api/v1/decisions/PAY-0001/").status_code == (200 if reads_pay else 404)
    export = api.get("/api/v1/export/").content.decode()
    assert (SECRET in export) is reads_pay
    for key in ("ORG", "IDN", "PAY"):
        response = api.post(
            "/api/v1/decisions/", {"log": key, "title": f"API {key}"}, format="json"
        )
        created = Decision.objects.filter(title=f"API {key}").exists()
        assert created is (persona in WRITERS[key]), (key, response.status_code)
        if not created:
            assert response.status_code in (400, 403), key

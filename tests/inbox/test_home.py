"""The home page ("Your work"): each demo persona sees their own open work, the
navigation's count matches it, and the page's queries do not grow with the items."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adr.models import Decision
from config import inbox
from config.pagination import LIST_CAP
from risks import services as risk_services
from risks.demo import TITLE
from risks.models import Mitigation, RiskAcceptance
from triggers import services as trigger_services
from triggers.demo import RBAC
from triggers.models import Initiative, Trigger
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.get(username=name)


def _nav_count(html: str) -> int:
    found = re.search(r'id="nav-open-count"[^>]*>(\d+)<', html)
    return int(found.group(1)) if found else 0


def _section_counts(html: str) -> dict[str, int]:
    return {
        key: int(n)
        for key, n in re.findall(
            r'id="inbox-(\w+)-title">[^<]*<span class="inbox-count" data-count="(\d+)"', html
        )
    }


def _home(client, name):
    client.force_login(_user(name))
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def demo():
    """The demo after the RBAC work was marked done: the trigger fired (the acceptance is
    triggered, the deferral needs review). Then a second acceptance expiring in 10 days
    (owned by sam, signed) with an overdue mitigation (sofia's), and a draft of alice's."""
    call_command("seed_demo")
    alice = _user("alice")
    users = {u.username: u for u in get_user_model().objects.all()}
    today = timezone.localdate()
    rbac = Initiative.objects.get(name=RBAC)
    trigger_services.initiative_set_status(
        actor=alice, initiative=rbac, status=Initiative.Status.DONE
    )
    sweep()
    assert Trigger.objects.filter(state="fired").exists()
    assert list(Trigger.objects.filter(state="fired").values_list("name", flat=True)) == [
        "RBAC initiative done"
    ]
    # Created after the sweep, so the mitigation's own trigger has not fired yet.
    soon = risk_services.acceptance_create(
        actor=alice,
        title="Shared admin password for the staging VPN",
        risk_statement="One password for everyone.",
        owner=users["sam"],
        expires_on=today + timedelta(days=10),
        mitigations=[
            {
                "description": "Move the VPN to SSO",
                "status": "planned",
                "owner": users["sofia"],
                "due_on": today - timedelta(days=3),
            }
        ],
        signatories=[{"user": users["sofia"], "meaning": "security lead"}],
        likelihood=4,  # 12, high: the demo policy asks for a security lead (sofia)
        impact=3,
        reason="test",
    )
    trigger_services.trigger_create(
        actor=alice,
        name="VPN SSO date",
        kind=Trigger.Kind.DATE,
        params={"date": (today + timedelta(days=60)).isoformat()},
        risk_acceptance=soon,
        watchers=[alice],
    )
    risk_services.acceptance_submit(actor=alice, acceptance=soon)
    risk_services.sign_verified(actor=users["sofia"], acceptance=soon, verdict="approve")
    # A draft of alice's own.
    risk_services.acceptance_create(
        actor=alice,
        title="Unpinned base images",
        risk_statement="Builds pull latest.",
        owner=users["sam"],  # in alice's team: she may draft for him
        reason="test",
    )
    return users


# Who sees what in the demo above (section key → count).
EXPECTED = {
    # alice: created the RBAC trigger (fired), writes the AUTH log (deferral needs review),
    # has one draft.
    "alice": {"fired": 1, "needs_review": 1, "drafts": 1},
    # sam: watches and owns the fired trigger; owns the acceptance expiring in 10 days.
    "sam": {"fired": 1, "acceptances": 1},
    # sofia: watches the fired trigger and signs its acceptance; owns an overdue mitigation.
    "sofia": {"fired": 1, "mitigations": 1, "reviews_requested": 1},
    # eric: signs the case study's acceptance (now triggered, so no signature awaits).
    "eric": {"fired": 1},
    # audrey, the auditor: the demo asks her (and sofia) to review AUTH-0004.
    "audrey": {"reviews_requested": 1},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_demo_persona_sees_their_own_open_work_and_the_nav_count_matches(client, demo, name):
    html = _home(client, name)
    counts = _section_counts(html)
    assert set(counts) == {
        "signatures",
        "fired",
        "needs_review",
        "acceptances",
        "mitigations",
        "drafts",
        "reviews_requested",
        "acceptance_reviews_due",
    }
    expected = {key: EXPECTED[name].get(key, 0) for key in counts}
    assert counts == expected
    assert _nav_count(html) == sum(expected.values())
    # The nav count is the same on every other page.
    other = client.get("/decisions/").content.decode()
    assert _nav_count(other) == sum(expected.values())
    if not sum(expected.values()):
        assert "Nothing awaits you right now." in html
        assert "Nothing to sign." in html  # each empty section says what would appear


def test_a_stakeholder_in_the_fresh_demo_sees_one_signature_awaiting(client):
    call_command("seed_demo")
    html = _home(client, "eric")
    assert "1 signature awaits you" in html
    acceptance = RiskAcceptance.objects.get(title=TITLE)
    assert f'href="/risks/{acceptance.pk}/sign/"' in html
    assert _nav_count(html) == 1
    html = _home(client, "sam")  # already signed
    assert "signature awaits you" not in html and _nav_count(html) == 0


def test_a_declined_acceptance_shows_to_its_owner_and_as_a_declined_draft_to_its_author(
    client,
):
    call_command("seed_demo")
    acceptance = RiskAcceptance.objects.get(title=TITLE)
    risk_services.sign_verified(
        actor=_user("eric"), acceptance=acceptance, verdict="decline", reason="No SSO date"
    )
    sam = _home(client, "sam")
    assert _section_counts(sam)["acceptances"] == 1 and "declined" in sam
    alice = _home(client, "alice")
    assert _section_counts(alice)["drafts"] == 1


def test_mitigations_of_a_closed_acceptance_are_not_overdue_work(demo):
    sofia = demo["sofia"]
    assert inbox.section_counts(user=sofia)["mitigations"] == 1
    Mitigation.objects.filter(owner=sofia, due_on__isnull=False).update(due_on=timezone.localdate())
    assert inbox.section_counts(user=sofia)["mitigations"] == 0


def _home_queries(client, user) -> int:
    client.force_login(user)
    client.get("/")  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_the_home_page_queries_do_not_grow_with_the_items(client, demo):
    alice = demo["alice"]
    few = _home_queries(client, alice)
    log = Decision.objects.filter(created_by=alice).first().log
    for n in range(15):
        risk_services.acceptance_create(
            actor=alice, title=f"Draft {n}", risk_statement="x", owner=demo["sam"], reason="t"
        )
    Decision.objects.filter(log=log).update(needs_review=True)
    many = _home_queries(client, alice)
    assert inbox.section_counts(user=alice)["drafts"] == 16
    assert many == few, (few, many)


def test_the_nav_count_is_one_query(client, demo):
    sam = demo["sam"]
    client.force_login(sam)
    client.get("/decisions/")
    with CaptureQueriesContext(connection) as with_count:
        client.get("/decisions/")
    # The list's own count (config.pagination: a COUNT(*) over a LIMIT) is not the nav's.
    counting = [
        q["sql"]
        for q in with_count.captured_queries
        if "COUNT(*) FROM (SELECT" in q["sql"] and f"LIMIT {LIST_CAP + 1}" not in q["sql"]
    ]
    assert len(counting) == 1

"""The review queue follows the acceptances' logs (risks.access): an accepted risk is
reviewed by its owner, staff or its writers (the architects of its decisions' logs), and
the queue, page and home page list only the acceptances the user reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from adr import services as adr
from riskpolicy import services
from riskpolicy.bands import BandRow
from riskpolicy.models import AcceptanceReview
from riskpolicy.selectors import due_for_review
from risks import services as risks
from tests.conftest import PASSWORD, make_user
from tests.support.teams import payments_and_identity
from triggers.services import trigger_create

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement"
# Who records the review of each log's accepted risk (its owner, staff, its writers).
REVIEWERS = {
    "PAY": {"staff", "pay_architect", "pay_owner"},
    "IDN": {"staff", "org_architect", "idn_architect", "stakeholder"},
}
# Whose queue lists each.
LISTED = {
    "PAY": {"staff", "pay_architect", "pay_owner"},
    "IDN": {"staff", "org_architect", "pay_architect", "idn_architect", "pay_owner", "stakeholder"},
}
PERSONAS = ("staff", "org_architect", "pay_architect", "idn_architect", "pay_owner", "stakeholder")


def _accepted(architect, owner, decision, title):
    acceptance = risks.acceptance_create(
        actor=architect,
        title=title,
        risk_statement="Kept live on purpose.",
        owner=owner,
        decisions=[decision],
        expires_on=timezone.localdate() + timedelta(days=300),
        signatories=[{"user": owner, "meaning": "risk owner"}],
    )
    trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=200)).isoformat()},
        risk_acceptance=acceptance,
    )
    acceptance.refresh_from_db()
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    acceptance.refresh_from_db()
    risks.acceptance_sign(actor=owner, acceptance=acceptance, password=PASSWORD, verdict="approve")
    acceptance.refresh_from_db()
    assert acceptance.state == "accepted"
    return acceptance


@pytest.fixture
def world(django_user_model, staff):
    people = {
        "staff": staff,
        "org_architect": make_user(django_user_model, "orla", "architect"),
        "pay_architect": make_user(django_user_model, "pat", None),
        "idn_architect": make_user(django_user_model, "ian", None),
        "pay_owner": make_user(django_user_model, "paula", None),
        "stakeholder": make_user(django_user_model, "sam", "stakeholder"),
    }
    pay, idn = payments_and_identity(
        staff=staff,
        pay={people["pay_architect"]: "architect", people["pay_owner"]: "stakeholder"},
        idn={people["idn_architect"]: "architect"},
    )
    services.policy_save(actor=staff, rows=[BandRow("All", 1, 25, ["risk owner"], 12, 30)])
    for name in ("paula", "sam"):
        services.capacity_grant(actor=staff, username=name, capacity="risk owner")
    pay_log = adr.log_create(actor=staff, key="PAY", name="Payments", team=pay, private=True)
    idn_log = adr.log_create(actor=staff, key="IDN", name="Identity", team=idn)
    accepted = {
        "PAY": _accepted(
            people["pay_architect"],
            people["pay_owner"],
            adr.decision_create(actor=staff, log=pay_log, title=f"{SECRET} routing"),
            f"{SECRET} risk",
        ),
        "IDN": _accepted(
            people["idn_architect"],
            people["stakeholder"],
            adr.decision_create(actor=staff, log=idn_log, title="Token format"),
            "Token format risk",
        ),
    }
    return people, accepted


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


LATER = timedelta(days=31)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_queue_lists_only_what_its_reader_reads(world, persona):
    people, accepted = world
    later = timezone.localdate() + LATER
    listed = set(due_for_review(today=later, reader=_fresh(people[persona])))
    assert listed == {a for key, a in accepted.items() if persona in LISTED[key]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_reviewing_an_accepted_risk_follows_its_logs(world, persona):
    people, accepted = world
    user = _fresh(people[persona])
    for key, acceptance in accepted.items():
        if persona in REVIEWERS[key]:
            services.acceptance_review(actor=user, acceptance=acceptance, note="holds")
        else:
            with pytest.raises(PermissionDenied):
                services.acceptance_review(actor=user, acceptance=acceptance)
    mine = AcceptanceReview.objects.filter(reviewed_by=people[persona])
    assert mine.count() == sum(persona in REVIEWERS[key] for key in accepted)


def test_the_queue_page_and_home_page_keep_a_private_logs_risk_to_its_readers(world, login):
    people, accepted = world
    pay = accepted["PAY"]
    with time_machine.travel(timezone.now() + LATER):
        client = login(people["org_architect"])
        page = client.get("/policy/reviews/").content.decode()
        assert "Token format risk" in page and SECRET not in page
        assert client.post(f"/policy/reviews/{pay.pk}/").status_code == 404
        assert not AcceptanceReview.objects.filter(acceptance=pay).exists()
        owner = login(people["pay_owner"])
        page = owner.get("/policy/reviews/").content.decode()
        assert SECRET in page and "Token format risk" in page
        # The button only where the service would take the review: her own risk.
        assert page.count("Still holds") == 1
        assert f'action="/policy/reviews/{pay.pk}/"' in page
        assert SECRET in owner.get("/").content.decode()
        assert owner.post(f"/policy/reviews/{pay.pk}/").status_code == 302
        assert AcceptanceReview.objects.filter(acceptance=pay).exists()

"""Decision review follows the decision's log (reviews.access): who requests review, who
reviews, who is asked, who sets a log's policy, and whose home page lists a request."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from adr import services as adr
from config.accounts.teams import membership_remove, membership_set
from config.notifications.models import Notification
from reviews import services
from reviews.models import Review, ReviewPolicy
from reviews.selectors import panel
from tests.conftest import make_user
from tests.support.teams import make_people, private_and_open_logs

pytestmark = pytest.mark.django_db

SECRET = "Zanzibar settlement routing"
PERSONAS = (
    "staff",
    "org_architect",
    "pay_architect",
    "idn_architect",
    "pay_reviewer",
    "leaver",
    "stakeholder",
)
# Who may review each log's proposed decision (written by staff; pay_reviewer and the
# leaver were asked on both while the leaver was in Payments).
REVIEWERS = {
    "PAY": {"pay_architect", "pay_reviewer"},
    "IDN": {"org_architect", "idn_architect", "pay_reviewer", "leaver"},
}


@pytest.fixture
def world(django_user_model, staff):
    people = make_people(
        django_user_model,
        staff,
        org_architect=("orla", "architect"),
        pay_architect=("pat", None),
        idn_architect=("ian", None),
        pay_reviewer=("paula", None),
        leaver=("lee", "stakeholder"),
        stakeholder=("sam", "stakeholder"),
    )
    logs = private_and_open_logs(
        staff=staff,
        pay={
            people["pay_architect"]: "architect",
            people["pay_reviewer"]: "stakeholder",
            people["leaver"]: "stakeholder",
        },
        idn={people["idn_architect"]: "architect"},
    )
    decisions = {}
    for key, log in logs.items():
        title = SECRET if key == "PAY" else "Token format"
        decisions[key] = adr.decision_create(actor=staff, log=log, title=title)
        services.review_request(actor=staff, decision=decisions[key], usernames=["paula", "lee"])
    membership_remove(actor=staff, team=logs["PAY"].team, user=people["leaver"])
    return people, logs, decisions


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _review(user, decision):
    decision.refresh_from_db()
    return services.review_submit(
        actor=user, decision=decision, verdict="approve", expected_version=decision.version
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_reviewing_follows_the_decisions_log(world, persona):
    people, _, decisions = world
    user = _fresh(people[persona])
    for key, decision in decisions.items():
        allowed = persona in REVIEWERS[key]
        assert panel(decision=decision, user=user).can_review is allowed, key
        if allowed:
            _review(user, decision)
        else:
            with pytest.raises(PermissionDenied):
                _review(user, decision)
    assert Review.objects.filter(reviewer=people[persona]).count() == sum(
        persona in REVIEWERS[key] for key in decisions
    )


def test_only_the_logs_writers_request_review(world):
    people, _, decisions = world
    for persona in ("org_architect", "idn_architect", "pay_reviewer"):
        with pytest.raises(PermissionDenied):
            services.review_request(
                actor=_fresh(people[persona]), decision=decisions["PAY"], usernames=["ian"]
            )
    assert not panel(decision=decisions["PAY"], user=_fresh(people["org_architect"])).can_request
    services.review_request(
        actor=_fresh(people["pay_architect"]), decision=decisions["PAY"], usernames=["paula"]
    )
    assert panel(decision=decisions["PAY"], user=_fresh(people["pay_architect"])).can_request


def test_a_reviewer_who_cannot_read_the_log_is_refused_by_name(world):
    people, _, decisions = world
    with pytest.raises(ValidationError) as refused:
        services.review_request(
            actor=_fresh(people["pay_architect"]),
            decision=decisions["PAY"],
            usernames=["paula", "sam", "orla", "lee"],
        )
    reasons = " ".join(refused.value.message_dict["reviewers"])
    for name in ("sam", "orla", "lee"):
        assert f"{name} cannot read this team's private log" in reasons
    assert "paula" not in reasons


def test_an_organisation_architect_cannot_review_a_private_decision_over_the_web(world, login):
    people, _, decisions = world
    pay = decisions["PAY"]
    client = login(people["org_architect"])
    posted = client.post(
        f"/reviews/decision/{pay.pk}/review/", {"verdict": "approve", "version": pay.version}
    )
    assert posted.status_code == 404
    posted = client.post(f"/reviews/decision/{pay.pk}/request/", {"reviewers": "ian"})
    assert posted.status_code == 404
    assert not Review.objects.filter(decision=pay).exists()
    # The team's architect reviews it from the decision page.
    client = login(people["pay_architect"])
    assert 'action="/reviews/decision/' in client.get("/decisions/PAY-0001/").content.decode()
    posted = client.post(
        f"/reviews/decision/{pay.pk}/review/", {"verdict": "approve", "version": pay.version}
    )
    assert posted.status_code == 302
    assert Review.objects.get(decision=pay).reviewer == people["pay_architect"]


@pytest.mark.parametrize(
    "persona, pay, idn",
    [
        ("staff", 200, 200),
        ("org_architect", 404, 200),
        ("pay_architect", 200, 403),
        ("idn_architect", 404, 200),
        ("pay_reviewer", 403, 403),
    ],
)
def test_the_review_policy_page_is_the_log_writers(world, login, persona, pay, idn):
    people, _, _ = world
    client = login(people[persona])
    for key, status in (("PAY", pay), ("IDN", idn)):
        page = f"/reviews/log/{key}/policy/"
        assert client.get(page).status_code == status, key
        client.post(page, {"required_approvals": "2"})
        assert ReviewPolicy.objects.filter(log__key=key).exists() is (status == 200), key


def test_the_home_page_lists_review_requests_of_the_logs_the_reviewer_reads(world, login):
    people, _, _ = world
    assert SECRET in login(people["pay_reviewer"]).get("/").content.decode()
    home = login(people["leaver"]).get("/").content.decode()
    assert "Token format" in home  # still asked on the open log
    assert SECRET not in home  # left the team: the private one is gone


def test_a_requester_who_left_the_team_is_not_told_of_the_review(world, django_user_model):
    people, _, decisions = world
    staff, pat = people["staff"], people["pay_architect"]
    pay = decisions["PAY"]
    pia = make_user(django_user_model, "pia", None)
    membership_set(actor=staff, team=pay.log.team, user=pia, role="stakeholder")
    services.review_request(actor=_fresh(pat), decision=pay, usernames=["pia"])
    membership_remove(actor=staff, team=pay.log.team, user=pat)
    _review(_fresh(pia), pay)
    told = {n.user_id for n in Notification.objects.filter(event="review.submitted")}
    assert staff.pk in told  # the author
    assert pat.pk not in told  # asked for it, then left the private log's team

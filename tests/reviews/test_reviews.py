"""Decision review: requests, verdicts on a version, approvals dismissed by a change,
and a log's required approvals enforced by the status service."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from adr.services import decision_change_status, decision_create, decision_update
from config.concurrency import ConflictError
from config.notifications.models import Notification
from reviews import services
from reviews.models import ReviewPolicy
from reviews.selectors import panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(log, architect):
    return decision_create(
        actor=architect, log=log, title="Move tokens to HttpOnly cookies", deciders="Sam Owner"
    )


@pytest.fixture
def two_needed(log, architect):
    return services.policy_set(actor=architect, log=log, required_approvals=2, deciders_only=False)


def approve(user, decision, verdict="approve", body=""):
    decision.refresh_from_db()
    return services.review_submit(
        actor=user, decision=decision, verdict=verdict, body=body, expected_version=decision.version
    )


def accept(architect, decision):
    decision.refresh_from_db()
    return decision_change_status(actor=architect, decision=decision, status="accepted")


def test_a_log_requiring_two_approvals_refuses_one(
    proposed, two_needed, architect, staff, stakeholder, stakeholder2
):
    services.review_request(actor=architect, decision=proposed, usernames=["sam", "sofia"])
    with pytest.raises(ValidationError) as none:
        accept(staff, proposed)
    assert "needs 2 approval(s) of the current version" in str(none.value)
    approve(stakeholder, proposed)
    with pytest.raises(ValidationError) as one:
        accept(staff, proposed)
    assert "it has 1 (Sam Owner)" in str(one.value)
    approve(stakeholder2, proposed)
    assert accept(staff, proposed).status == "accepted"


def test_a_content_edit_dismisses_the_approvals_given_before(
    proposed, two_needed, architect, staff, stakeholder, stakeholder2
):
    services.review_request(actor=architect, decision=proposed, usernames=["sam", "sofia"])
    approve(stakeholder, proposed)
    approve(stakeholder2, proposed)
    proposed.refresh_from_db()
    decision_update(
        actor=architect, decision=proposed, context="New facts.", expected_version=proposed.version
    )
    with pytest.raises(ValidationError) as refused:
        accept(staff, proposed)
    assert "2 earlier approval(s) were dismissed" in str(refused.value)
    proposed.refresh_from_db()
    standings = panel(decision=proposed, user=architect).standings
    assert [s.dismissed for s in standings] == [True, True]
    approve(stakeholder, proposed)
    approve(stakeholder2, proposed)
    assert accept(staff, proposed).status == "accepted"


def test_changes_requested_block_until_the_decision_changes(
    proposed, architect, staff, stakeholder
):
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    with pytest.raises(ValidationError):
        approve(stakeholder, proposed, verdict="changes")  # a reason is required
    approve(stakeholder, proposed, verdict="changes", body="Name the migration owner.")
    with pytest.raises(ValidationError) as refused:
        accept(staff, proposed)
    assert "Sam Owner requested changes" in str(refused.value)
    proposed.refresh_from_db()
    decision_update(
        actor=architect,
        decision=proposed,
        deciders="Sam Owner, Eric",
        expected_version=proposed.version,
    )
    assert accept(staff, proposed).status == "accepted"


def test_deciders_only_counts_the_deciders(
    log, proposed, architect, staff, stakeholder, stakeholder2
):
    services.policy_set(actor=architect, log=log, required_approvals=1, deciders_only=True)
    services.review_request(actor=architect, decision=proposed, usernames=["sam", "sofia"])
    approve(stakeholder2, proposed)  # Sofia is not among the deciders
    with pytest.raises(ValidationError) as refused:
        accept(staff, proposed)
    assert "from its deciders" in str(refused.value)
    approve(stakeholder, proposed)
    assert accept(staff, proposed).status == "accepted"


def test_who_may_review(proposed, architect, stakeholder, stakeholder2, outsider):
    with pytest.raises(PermissionDenied):
        approve(architect, proposed)  # the author
    with pytest.raises(PermissionDenied):
        approve(stakeholder, proposed)  # not asked, not an architect
    with pytest.raises(ValidationError) as bad:
        services.review_request(
            actor=architect, decision=proposed, usernames=["olga", "alice", "ghost"]
        )
    assert bad.value.message_dict["reviewers"] == [
        "olga has no role in this ledger, so cannot review.",
        "alice wrote this decision; ask someone else.",
        "ghost is not an active user.",
    ]
    services.review_request(actor=architect, decision=proposed, usernames=["@sam"])
    assert approve(stakeholder, proposed).verdict == "approve"


def test_a_review_of_a_stale_page_is_a_conflict(proposed, architect, stakeholder):
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    seen = proposed.version
    decision_update(actor=architect, decision=proposed, context="moved", expected_version=seen)
    with pytest.raises(ConflictError):
        services.review_submit(
            actor=stakeholder, decision=proposed, verdict="approve", expected_version=seen
        )


def test_requests_and_verdicts_notify_once_and_never_the_actor(proposed, architect, stakeholder):
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    asked = Notification.objects.filter(event="review.requested")
    assert [n.user for n in asked] == [stakeholder]
    approve(stakeholder, proposed)
    told = Notification.objects.filter(event="review.submitted")
    assert [n.user for n in told] == [architect]


def test_only_proposed_decisions_are_reviewed(proposed, architect, staff, stakeholder):
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    approve(stakeholder, proposed)
    accept(staff, proposed)
    with pytest.raises(ValidationError):
        approve(stakeholder, proposed)


def test_the_home_page_lists_the_review_until_it_is_given(proposed, architect, stakeholder, login):
    services.review_request(actor=architect, decision=proposed, usernames=["sam"])
    client = login(stakeholder)
    assert "Reviews requested from you" in client.get("/").content.decode()
    assert proposed.title in client.get("/").content.decode()
    approve(stakeholder, proposed)
    assert proposed.title not in client.get("/").content.decode()
    proposed.refresh_from_db()
    decision_update(
        actor=architect, decision=proposed, context="v2", expected_version=proposed.version
    )
    assert proposed.title in client.get("/").content.decode()


def test_the_policy_page(log, architect, stakeholder, login):
    assert login(stakeholder).get(f"/reviews/log/{log.key}/policy/").status_code == 403
    client = login(architect)
    bad = client.post(f"/reviews/log/{log.key}/policy/", {"required_approvals": "11"})
    assert bad.status_code == 400 and "Between 0 and 10 approvals." in bad.content.decode()
    ok = client.post(f"/reviews/log/{log.key}/policy/", {"required_approvals": "2"})
    assert ok.status_code == 302
    policy = ReviewPolicy.objects.get(log=log)
    assert policy.required_approvals == 2 and policy.history.count() == 1
    stale = client.post(
        f"/reviews/log/{log.key}/policy/", {"required_approvals": "3", "version": "0"}
    )
    assert stale.status_code == 302  # version 0 is no version: parsed as none given

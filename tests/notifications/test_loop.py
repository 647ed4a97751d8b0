"""The notification loop (config.notifications.table, docs/notifications.md): every row
— who hears, who does not, and nobody about their own action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.notifications.models import Notification
from config.notifications.table import RULES, audience
from risks import services
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db

# Every event of the table is checked by a test below.
COVERED = {
    "signature.requested",
    "signature.rerequested",
    "signature.withdrawn",
    "acceptance.signed",
    "acceptance.declined",
    "acceptance.accepted",
    "trigger.warning",
    "trigger.fired",
    "trigger.reminder",
    "trigger.probe_broken",
    "comment.mentioned",
    "review.requested",
    "review.submitted",
    "acceptance.review_due",
}


def test_every_row_of_the_table_is_tested():
    assert set(RULES) == COVERED


def heard(event: str) -> list[str]:
    """Usernames emailed about ``event`` (in-app entries are these same rows)."""
    return sorted(Notification.objects.filter(event=event).values_list("user__username", flat=True))


@pytest.fixture
def acceptance(architect, stakeholder, stakeholder2, stakeholder3, staff):
    """Drafted by alice (architect), owned by sam, signed by sam, sofia, eric and steve
    (staff, an architect who may edit). A date trigger makes it submittable."""
    draft = services.acceptance_create(
        actor=architect,
        title="JS-readable tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        expires_on=timezone.localdate() + timedelta(days=120),
        mitigations=[{"description": "CSP", "status": "in_place"}],
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security"},
            {"user": stakeholder3, "meaning": "engineering"},
            {"user": staff, "meaning": "platform"},
        ],
    )
    trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=60)).isoformat()},
        risk_acceptance=draft,
    )
    return draft


def sign(user, acceptance, verdict="approve", reason=""):
    return services.sign_verified(
        actor=user, acceptance=acceptance, verdict=verdict, reason=reason or "no"
    )


def test_submitting_asks_every_signatory_and_not_the_submitter(acceptance, architect):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    assert heard("signature.requested") == ["eric", "sam", "sofia", "steve"]


def test_an_approval_tells_the_owner_but_not_the_owner_about_their_own(
    acceptance, architect, stakeholder, stakeholder2
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    sign(stakeholder2, acceptance)
    assert heard("acceptance.signed") == ["sam"]
    sign(stakeholder, acceptance)  # the owner signs: nobody is told of it
    assert heard("acceptance.signed") == ["sam"]
    assert Notification.objects.filter(event="acceptance.signed").count() == 1


def test_the_last_signature_tells_owner_author_and_every_signatory_but_the_signer(
    acceptance, architect, stakeholder, stakeholder2, stakeholder3, staff
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    for user in (stakeholder, stakeholder2, staff):
        sign(user, acceptance)
    sign(stakeholder3, acceptance)
    acceptance.refresh_from_db()
    assert acceptance.state == "accepted"
    assert heard("acceptance.accepted") == ["alice", "sam", "sofia", "steve"]
    mail = Notification.objects.get(event="acceptance.accepted", user__username="alice")
    assert "is accepted" in mail.body_text and "is accepted" in mail.body_html
    # The last approval is announced once, as "accepted" (not also as "signed"): the
    # owner heard "signed" for sofia's and steve's approvals only (not for their own).
    assert Notification.objects.filter(event="acceptance.signed").count() == 2


def test_a_decline_tells_owner_author_and_whose_approval_it_voided_not_the_decliner(
    acceptance, architect, stakeholder, stakeholder2, stakeholder3
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    sign(stakeholder2, acceptance)  # sofia approves
    sign(stakeholder3, acceptance, verdict="decline", reason="No SSO yet")
    # sam: owner; alice: author; sofia: her approval was voided; not eric, who declined;
    # not steve, who had not signed (he hears "withdrawn" instead).
    assert heard("acceptance.declined") == ["alice", "sam", "sofia"]
    assert heard("signature.withdrawn") == ["sam", "steve"]
    for mail in Notification.objects.filter(event="acceptance.declined"):
        assert "No SSO yet" in mail.body_text


def test_an_edit_that_voids_signatures_rerequests_them_from_every_signatory(
    acceptance, architect, stakeholder, stakeholder2, staff
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    sign(stakeholder2, acceptance)
    sign(staff, acceptance)
    services.acceptance_update(actor=architect, acceptance=acceptance, scope="Now wider")
    assert heard("signature.rerequested") == ["eric", "sam", "sofia", "steve"]


def test_an_edit_by_a_signatory_goes_back_to_draft_and_tells_the_others_not_the_editor(
    acceptance, architect, stakeholder, stakeholder2, staff
):
    # Segregation of duties (risks/duties.py): a signatory's edit needs a new submission.
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    sign(stakeholder2, acceptance)
    sign(staff, acceptance)
    services.acceptance_update(actor=staff, acceptance=acceptance, scope="Now wider")
    acceptance.refresh_from_db()
    assert acceptance.state == "draft"
    assert heard("signature.rerequested") == []
    assert heard("signature.withdrawn") == ["eric", "sam", "sofia"]


def test_removing_a_signatory_while_awaiting_withdraws_their_request(
    acceptance, architect, stakeholder, stakeholder2, stakeholder3, staff
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    services.acceptance_update(
        actor=architect,
        acceptance=acceptance,
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security"},
            {"user": stakeholder3, "meaning": "engineering"},
        ],
    )
    assert "steve" in heard("signature.withdrawn")


def _date_trigger(architect, acceptance, *, days: int, watchers):
    return trigger_create(
        actor=architect,
        name=f"In {days} days",
        kind="date",
        params={
            "date": (timezone.localdate() + timedelta(days=days)).isoformat(),
            "lead_days": [7],
        },
        risk_acceptance=acceptance,
        watchers=watchers,
    )


TRIGGER_AUDIENCE = ["alice", "eric", "sam", "sofia", "steve"]  # watcher alice + owner + signers


def test_trigger_warnings_and_firings_reach_watchers_owner_and_signatories(
    acceptance, architect, auditor
):
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    _date_trigger(architect, acceptance, days=3, watchers=[architect])
    _date_trigger(architect, acceptance, days=-1, watchers=[architect])
    sweep()
    assert heard("trigger.warning") == TRIGGER_AUDIENCE
    assert heard("trigger.fired") == TRIGGER_AUDIENCE
    assert "audrey" not in heard("trigger.fired")


def test_reminders_reach_the_same_people_and_the_escalation_contact_later(
    acceptance, architect, auditor, settings
):
    from triggers.models import Trigger

    services.acceptance_submit(actor=architect, acceptance=acceptance)
    trigger = _date_trigger(architect, acceptance, days=-1, watchers=[architect])
    Trigger.objects.filter(pk=trigger.pk).update(escalation_contact=auditor)
    sweep()
    now = timezone.now()
    for n in range(1, settings.LEDGER_REMINDERS_BEFORE_ESCALATION + 1):
        now += timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS, hours=1)
        Trigger.objects.filter(pk=trigger.pk).update(next_check_at=now)
        sweep(now=now)
    users = set(heard("trigger.reminder"))
    assert users == {*TRIGGER_AUDIENCE, "audrey"}


def test_a_broken_probe_is_reported_to_the_trigger_audience(acceptance, architect, settings):
    """The row is as the table says; the sweep's recipients are the same function for all
    trigger events (tests/triggers/test_metric.py exercises the probe itself)."""
    from triggers.firing import recipients

    services.acceptance_submit(actor=architect, acceptance=acceptance)
    trigger = _date_trigger(architect, acceptance, days=30, watchers=[architect])
    users, _addresses = recipients(trigger)
    people = {
        "watchers": [u for u in users if u == architect],
        "owner": [acceptance.owner],
        "signatories": [line.user for line in acceptance.signatories.all()],
    }
    got = sorted(u.username for u in audience("trigger.probe_broken", **people))
    assert got == sorted({u.username for u in users}) == TRIGGER_AUDIENCE


def test_audience_leaves_out_the_actor_and_repeats_nobody(architect, stakeholder):
    got = audience(
        "acceptance.declined",
        actor=stakeholder,
        owner=[stakeholder],
        author=[architect, architect],
        voided=[stakeholder, None],
    )
    assert got == [architect]
    with pytest.raises(KeyError):
        audience("acceptance.declined", owner=[architect])


def test_a_mention_tells_the_mentioned_once_and_never_the_author(log, architect, stakeholder):
    from adr.services import decision_create
    from comments.services import comment_edit, comment_post

    decision = decision_create(actor=architect, log=log, title="Tokens")
    comment = comment_post(actor=architect, document=decision, body="@sam @alice look")
    comment_edit(actor=architect, comment=comment, body="@sam, look", expected_version=1)
    assert heard("comment.mentioned") == ["sam"]


def test_review_requests_tell_the_reviewers_and_verdicts_the_author_and_requester(
    log, architect, staff, stakeholder, stakeholder2
):
    from adr.services import decision_create
    from reviews.services import review_request, review_submit

    decision = decision_create(actor=architect, log=log, title="Tokens")
    review_request(actor=staff, decision=decision, usernames=["sam", "sofia"])
    assert heard("review.requested") == ["sam", "sofia"]
    review_submit(
        actor=stakeholder, decision=decision, verdict="approve", expected_version=decision.version
    )
    assert heard("review.submitted") == ["alice", "steve"]


def test_a_risk_due_for_review_tells_its_owner_once_per_due_date(
    acceptance, architect, stakeholder, stakeholder2, stakeholder3, staff
):
    from riskpolicy.bands import BandRow
    from riskpolicy.services import capacity_grant, policy_save, review_reminders_send

    policy_save(actor=staff, rows=[BandRow("All", 1, 25, ["risk owner"], 12, 30)])
    capacity_grant(actor=staff, username="sam", capacity="risk owner")
    services.acceptance_submit(actor=architect, acceptance=acceptance)
    for user in (stakeholder, stakeholder2, stakeholder3, staff):
        services.sign_verified(actor=user, acceptance=acceptance, verdict="approve")
    later = timezone.localdate() + timedelta(days=31)
    review_reminders_send(today=later)
    review_reminders_send(today=later)
    assert heard("acceptance.review_due") == ["sam"]

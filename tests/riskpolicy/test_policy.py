"""Risk policy by rating: bands validated as a whole, submit checks the band's
capacities and expiry, a rating change after signing re-checks (and voids), and accepted
risks come up for review on their band's cadence."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from config.notifications.models import Notification
from riskpolicy import services
from riskpolicy.bands import BandRow
from riskpolicy.models import RiskBand
from riskpolicy.selectors import due_for_review
from risks import services as risks
from risks.models import RiskAcceptance, Signature
from tests.conftest import PASSWORD
from triggers.services import trigger_create

pytestmark = pytest.mark.django_db

POLICY = [
    BandRow("Low", 1, 5, ["risk owner"], 12, 365),
    BandRow("Medium", 6, 11, ["risk owner"], 12, 180),
    BandRow("High", 12, 19, ["risk owner", "security lead"], 6, 90),
    BandRow("Very high", 20, 25, ["risk owner", "security lead", "CISO"], 3, 30),
]


@pytest.fixture
def policy(staff, stakeholder, stakeholder2, stakeholder3):
    services.policy_save(actor=staff, rows=POLICY)
    services.capacity_grant(actor=staff, username="sam", capacity="risk owner")
    services.capacity_grant(actor=staff, username="sofia", capacity="security lead")
    services.capacity_grant(actor=staff, username="eric", capacity="CISO")


def draft(architect, owner, *, likelihood, impact, signers, months=2):
    acceptance = risks.acceptance_create(
        actor=architect,
        title=f"Risk {likelihood}x{impact}",
        risk_statement="r",
        owner=owner,
        likelihood=likelihood,
        impact=impact,
        expires_on=timezone.localdate() + timedelta(days=30 * months),
        signatories=[{"user": u, "meaning": m} for u, m in signers],
    )
    trigger_create(  # the triggers app asks every acceptance for a way back
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=20)).isoformat()},
        risk_acceptance=acceptance,
    )
    acceptance.refresh_from_db()
    return acceptance


def sign_all(acceptance, users):
    for user in users:
        acceptance.refresh_from_db()
        risks.acceptance_sign(
            actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )
    acceptance.refresh_from_db()
    return acceptance


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([BandRow("Low", 1, 10, ["x"], 12, 90)], "Scores 11–25 are in no band."),
        (
            [BandRow("Low", 1, 12, ["x"], 12, 90), BandRow("High", 12, 25, ["y"], 6, 30)],
            "The bands Low and High overlap at score 12.",
        ),
        (
            [BandRow("All", 1, 25, [], 12, 90)],
            "The band All has no signing capacity: name at least one.",
        ),
        (
            [BandRow("All", 1, 25, ["x"], 13, 90)],
            "The band All allows 13 months, above the organisation's maximum of 12 months.",
        ),
    ],
)
def test_a_bad_policy_is_refused_with_the_reason(staff, rows, reason):
    with pytest.raises(ValidationError) as refused:
        services.policy_save(actor=staff, rows=rows)
    assert reason in refused.value.messages
    assert not RiskBand.objects.exists()


def test_only_staff_change_the_policy_and_the_history_keeps_it(architect, staff, login):
    with pytest.raises(PermissionDenied):
        services.policy_save(actor=architect, rows=POLICY)
    bands = services.policy_save(actor=staff, rows=POLICY)
    rows = [BandRow(b.label, b.min_score, b.max_score, ["ciso"], 2, 30, pk=b.pk) for b in bands]
    services.policy_save(actor=staff, rows=rows)
    assert RiskBand.objects.count() == 4
    assert RiskBand.history.filter(max_expiry_months=12).exists()
    assert login(architect).post("/policy/", {"rows": "0"}).status_code == 403


def test_a_very_high_risk_needs_a_ciso_signatory(
    policy, architect, stakeholder, stakeholder2, stakeholder3
):
    acceptance = draft(
        architect,
        stakeholder,
        likelihood=5,
        impact=4,
        signers=[(stakeholder, "risk owner"), (stakeholder2, "security lead")],
    )
    with pytest.raises(ValidationError) as refused:
        risks.acceptance_submit(actor=architect, acceptance=acceptance)
    assert (
        "A very high risk (score 20) needs a signatory with the capacity “CISO”; none of the "
        "named signatories holds it." in str(refused.value)
    )
    acceptance.refresh_from_db()
    risks.acceptance_update(
        actor=architect,
        acceptance=acceptance,
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security lead"},
            {"user": stakeholder3, "meaning": "CISO"},
        ],
        expected_version=acceptance.version,
    )
    acceptance.refresh_from_db()
    assert risks.acceptance_submit(actor=architect, acceptance=acceptance).state == "awaiting"


def test_the_band_limits_the_expiry(policy, architect, stakeholder, stakeholder2, stakeholder3):
    acceptance = draft(
        architect,
        stakeholder,
        likelihood=5,
        impact=5,
        months=6,
        signers=[(stakeholder, "o"), (stakeholder2, "s"), (stakeholder3, "c")],
    )
    with pytest.raises(ValidationError) as refused:
        risks.acceptance_submit(actor=architect, acceptance=acceptance)
    assert "may be accepted for at most 3 months" in str(refused.value)


def test_a_rating_change_after_signing_rechecks_and_voids(
    policy, architect, stakeholder, stakeholder2, stakeholder3
):
    acceptance = draft(
        architect,
        stakeholder,
        likelihood=3,
        impact=4,
        signers=[(stakeholder, "risk owner"), (stakeholder2, "security lead")],
    )
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    acceptance = sign_all(acceptance, [stakeholder, stakeholder2])
    assert acceptance.state == "accepted"
    with pytest.raises(ValidationError) as refused:
        risks.acceptance_update(
            actor=architect,
            acceptance=acceptance,
            likelihood=5,
            expected_version=acceptance.version,
        )
    assert "This change moves the risk into the band “Very high”." in refused.value.messages
    acceptance.refresh_from_db()
    assert acceptance.likelihood == 3 and acceptance.state == "accepted"
    risks.acceptance_update(
        actor=architect,
        acceptance=acceptance,
        likelihood=5,
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security lead"},
            {"user": stakeholder3, "meaning": "CISO"},
        ],
        expected_version=acceptance.version,
    )
    acceptance.refresh_from_db()
    assert acceptance.state == "awaiting"
    assert not Signature.objects.filter(acceptance=acceptance, void=False).exists()


def test_accepted_risks_come_up_for_review_and_owners_hear_once(
    policy, architect, stakeholder, stakeholder2, stakeholder3, login
):
    acceptance = draft(
        architect,
        stakeholder,
        likelihood=5,
        impact=4,
        signers=[(stakeholder, "o"), (stakeholder2, "s"), (stakeholder3, "c")],
    )
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    acceptance = sign_all(acceptance, [stakeholder, stakeholder2, stakeholder3])
    today = timezone.localdate()
    assert not due_for_review(today=today).exists()
    later = today + timedelta(days=31)
    assert list(due_for_review(today=later)) == [acceptance]
    assert services.review_reminders_send(today=later) == 1
    assert services.review_reminders_send(today=later) == 0
    assert Notification.objects.filter(event="acceptance.review_due", user=stakeholder).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        page = login(stakeholder).get("/").content.decode()
        assert "Accepted risks due for review" in page and acceptance.title in page
        services.acceptance_review(actor=stakeholder, acceptance=acceptance, note="still holds")
    assert not due_for_review(today=later).exists()
    with pytest.raises(PermissionDenied):
        services.acceptance_review(actor=stakeholder2, acceptance=acceptance)


def test_without_a_policy_nothing_changes(architect, stakeholder, stakeholder2):
    acceptance = draft(
        architect, stakeholder, likelihood=5, impact=5, signers=[(stakeholder2, "x")]
    )
    assert risks.acceptance_submit(actor=architect, acceptance=acceptance).state == (
        RiskAcceptance.State.AWAITING
    )

"""Segregation of duties that cannot be edited around (risks.duties).

After submission, an edit by someone who is also a named signatory sends the document
back to draft: their signature and everyone else's are void, and only a new submission
by someone who is not a signatory puts it back to signature. Both orders are tested.
"""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from risks import services
from risks.models import Signature
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign(user, acceptance, verdict="approve"):
    return services.acceptance_sign(
        actor=user, acceptance=acceptance, password=PASSWORD, verdict=verdict
    )


def test_edit_then_sign_an_owner_who_signs_cannot_edit_and_then_sign_their_own_text(
    submitted, stakeholder, stakeholder2, capsys
):
    # Sam is the accountable owner (so may edit) and a named signatory (risk owner).
    services.acceptance_update(
        actor=stakeholder, acceptance=submitted, residual_risk="Low, honestly."
    )
    submitted.refresh_from_db()
    assert submitted.state == "draft"
    assert "edited by a signatory" in submitted.state_reason
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder, submitted)
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder2, submitted)
    # Sam cannot put it back to signature either: someone else must submit it.
    with pytest.raises(ValidationError, match="segregation of duties"):
        services.acceptance_submit(actor=stakeholder, acceptance=submitted)
    call_command("verify_ledger")
    assert "0 problem(s)" in capsys.readouterr().out


def test_sign_then_edit_the_signature_of_an_editing_signatory_is_void(
    submitted, architect, stakeholder, stakeholder2, stakeholder3, capsys
):
    sofia = sign(stakeholder2, submitted)
    sam = sign(stakeholder, submitted)
    services.acceptance_update(actor=stakeholder, acceptance=submitted, scope="Only the admin UI")
    submitted.refresh_from_db()
    assert submitted.state == "draft"
    for signature in Signature.objects.filter(pk__in=[sofia.pk, sam.pk]):
        assert signature.void and "edited by a signatory" in signature.void_reason
    # Eric's approval now would not complete it: nothing is awaiting.
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder3, submitted)
    # A new submission by the architect (not a signatory) starts a new round for everyone.
    round_before = submitted.signing_round
    services.acceptance_submit(actor=architect, acceptance=submitted)
    assert submitted.state == "awaiting" and submitted.signing_round == round_before + 1
    for user in (stakeholder, stakeholder2, stakeholder3):
        sign(user, submitted)
    submitted.refresh_from_db()
    assert submitted.state == "accepted"
    call_command("verify_ledger")
    assert "0 problem(s)" in capsys.readouterr().out


def test_an_owner_who_is_the_only_signatory_cannot_accept_their_own_edit(
    draft, architect, stakeholder
):
    services.acceptance_update(
        actor=architect,
        acceptance=draft,
        signatories=[{"user": stakeholder, "meaning": "risk owner"}],
    )
    services.acceptance_submit(actor=architect, acceptance=draft)
    services.acceptance_update(actor=stakeholder, acceptance=draft, impact=1)
    assert draft.state == "draft"
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder, draft)


def test_an_edit_by_someone_who_is_not_a_signatory_keeps_the_usual_rule(
    submitted, architect, stakeholder2
):
    sign(stakeholder2, submitted)
    services.acceptance_update(actor=architect, acceptance=submitted, scope="Wider")
    assert submitted.state == "awaiting" and submitted.signing_round == 2
    assert Signature.objects.get(user=stakeholder2).void


def test_naming_oneself_a_signatory_after_submission_counts_as_a_signatory_edit(
    submitted, architect
):
    # The architect is not a signatory, but becomes one with this very edit.
    lines = [{"user": s.user, "meaning": s.meaning} for s in submitted.signatories.all()]
    services.acceptance_update(
        actor=architect,
        acceptance=submitted,
        signatories=[*lines, {"user": architect, "meaning": "architecture"}],
    )
    assert submitted.state == "draft"

"""The acceptance services beyond the state rules (tested once, in test_workflow.py)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.utils import timezone

from risks import hooks, notify, services, signatures, signing, workflow
from risks.models import Mitigation, RiskAcceptance, Signature
from tests.conftest import PASSWORD
from tests.risks.conftest import new_acceptance

pytestmark = pytest.mark.django_db
S = RiskAcceptance.State


def sign(user, acceptance, verdict="approve", reason=""):
    return services.acceptance_sign(
        actor=user, acceptance=acceptance, password=PASSWORD, verdict=verdict, reason=reason
    )


def test_a_new_acceptance_is_a_draft_with_its_lists(draft):
    assert draft.state == S.DRAFT
    assert [m.description for m in draft.mitigations.all()] == [
        "Strict CSP with nonces",
        "Access tokens live 5 minutes",
    ]
    assert [s.meaning for s in draft.signatories.all()] == [
        "risk owner",
        "security lead",
        "engineering lead",
    ]
    assert draft.rating == 12 and draft.rating_label == "high"


def test_only_architects_draft_acceptances(stakeholder):
    with pytest.raises(PermissionDenied):
        services.acceptance_create(
            actor=stakeholder, title="x", risk_statement="y", owner=stakeholder
        )


def test_submitting_needs_a_signatory(architect, stakeholder):
    acc = new_acceptance(architect, owner=stakeholder)
    with pytest.raises(ValidationError, match="at least one signatory"):
        services.acceptance_submit(actor=architect, acceptance=acc)


def test_submitting_needs_an_expiry_date_within_the_policy(draft, architect, settings):
    services.acceptance_update(actor=architect, acceptance=draft, expires_on=None)
    with pytest.raises(ValidationError, match="expiry date"):
        services.acceptance_submit(actor=architect, acceptance=draft)
    services.acceptance_update(
        actor=architect, acceptance=draft, expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="in the past"):
        services.acceptance_submit(actor=architect, acceptance=draft)
    settings.LEDGER_MAX_ACCEPTANCE_MONTHS = 3
    services.acceptance_update(
        actor=architect, acceptance=draft, expires_on=timezone.localdate() + timedelta(days=120)
    )
    with pytest.raises(ValidationError, match="more than 3 months"):
        services.acceptance_submit(actor=architect, acceptance=draft)
    draft.refresh_from_db()
    assert draft.state == S.DRAFT


def test_submit_checks_from_other_apps_are_all_reported(draft, architect):
    for check in (lambda a: "Add a trigger.", lambda a: None, lambda a: "Nope."):
        hooks.SUBMIT_CHECKS.register(check)
    with pytest.raises(ValidationError) as exc:
        services.acceptance_submit(actor=architect, acceptance=draft)
    assert exc.value.messages == ["Add a trigger.", "Nope."]


def test_saved_hooks_run_after_create_and_content_changes_only(draft, architect):
    calls = []
    hooks.ACCEPTANCE_SAVED.register(lambda a, actor: calls.append(a.expires_on))
    services.acceptance_update(actor=architect, acceptance=draft, title=draft.title)
    assert calls == []
    new = timezone.localdate() + timedelta(days=90)
    services.acceptance_update(actor=architect, acceptance=draft, expires_on=new)
    assert calls == [new]


def test_submitting_asks_each_signatory_once_per_round(submitted, mailoutbox):
    from config.notifications.models import Notification

    rows = Notification.objects.filter(event="signature.requested")
    assert sorted(rows.values_list("recipient", flat=True)) == [
        "eric@example.test",
        "sam@example.test",
        "sofia@example.test",
    ]
    assert submitted.state == S.AWAITING and submitted.signing_round == 1
    # A repeated call with the same key adds nothing.
    notify.notify_signatories(submitted, workflow.signatory_users(submitted), "requested")
    assert rows.count() == 3


def test_the_last_approval_accepts_the_document(submitted, stakeholder, stakeholder2, stakeholder3):
    sign(stakeholder, submitted)
    sign(stakeholder2, submitted)
    assert submitted.state == S.AWAITING
    sig = sign(stakeholder3, submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.ACCEPTED
    assert sig.printed_name == "Eric Engineering"
    assert sig.meaning == "engineering lead"
    assert sig.content_digest == signing.acceptance_digest(submitted)
    assert sig.auth_method == signatures.PASSWORD_AUTH


def test_signatures_are_chained(submitted, stakeholder, stakeholder2):
    first = sign(stakeholder, submitted)
    second = sign(stakeholder2, submitted)
    assert first.previous_hash == ""
    assert second.previous_hash == first.signature_hash
    assert second.signature_hash == signing.signature_compute_hash(second)


def test_a_wrong_password_signs_nothing_and_is_recorded(submitted, stakeholder):
    with pytest.raises(ValidationError, match="password"):
        services.acceptance_sign(
            actor=stakeholder, acceptance=submitted, password="guess", verdict="approve"
        )
    assert not Signature.objects.exists()
    attempt = submitted.signing_attempts.get()
    assert attempt.user == stakeholder and attempt.succeeded is False


def test_five_wrong_passwords_lock_signing_for_a_quarter_of_an_hour(submitted, stakeholder):
    import time_machine

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            with pytest.raises(ValidationError):
                services.acceptance_sign(
                    actor=stakeholder, acceptance=submitted, password="nope", verdict="approve"
                )
        with pytest.raises(ValidationError, match="locked"):
            sign(stakeholder, submitted)
        assert not Signature.objects.exists()
        traveller.shift(timedelta(minutes=16))
        sign(stakeholder, submitted)
    assert Signature.objects.count() == 1


def test_only_a_named_signatory_signs(submitted, outsider, auditor):
    for user in (outsider, auditor):
        with pytest.raises(PermissionDenied):
            sign(user, submitted)


def test_the_submitter_cannot_sign(draft, stakeholder, stakeholder2):
    # The owner (sam) submits; sam is also a signatory, so the submit is refused…
    with pytest.raises(ValidationError, match="segregation of duties"):
        services.acceptance_submit(actor=stakeholder, acceptance=draft)
    # …and a submitter who is added as a signatory afterwards still cannot sign.
    services.signatory_remove(actor=stakeholder, signatory=draft.signatories.get(user=stakeholder))
    services.acceptance_submit(actor=stakeholder, acceptance=draft)
    services.signatory_add(
        actor=stakeholder, acceptance=draft, user=stakeholder, meaning="risk owner"
    )
    # Naming oneself after submission is an edit by a signatory: back to draft
    # (risks.duties), so nobody signs until someone else submits it again.
    assert draft.state == "draft"
    with pytest.raises(PermissionDenied, match="segregation"):
        sign(stakeholder, draft)
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder2, draft)
    with pytest.raises(ValidationError, match="segregation of duties"):
        services.acceptance_submit(actor=stakeholder, acceptance=draft)


def test_a_signatory_signs_only_once_per_version(submitted, stakeholder):
    sign(stakeholder, submitted)
    with pytest.raises(ValidationError, match="already signed"):
        sign(stakeholder, submitted)


def test_a_draft_cannot_be_signed(draft, stakeholder):
    with pytest.raises(ValidationError, match="not awaiting"):
        sign(stakeholder, draft)


def test_a_changed_document_since_the_page_was_read_is_not_signed(
    submitted, stakeholder, architect
):
    seen = signing.acceptance_digest(submitted)
    services.acceptance_update(actor=architect, acceptance=submitted, scope="Everything")
    with pytest.raises(ValidationError, match="changed while you were reading"):
        services.acceptance_sign(
            actor=stakeholder,
            acceptance=submitted,
            password=PASSWORD,
            verdict="approve",
            expected_digest=seen,
        )


def test_declining_needs_a_reason_and_sends_the_document_back_to_draft(
    submitted, stakeholder, stakeholder2
):
    from config.notifications.models import Notification

    sign(stakeholder, submitted)
    with pytest.raises(ValidationError, match="why"):
        sign(stakeholder2, submitted, verdict="decline")
    sign(stakeholder2, submitted, verdict="decline", reason="CSP is not enforced on /legacy")
    submitted.refresh_from_db()
    assert submitted.state == S.DRAFT
    # Issue 11's loop: the owner, the author and sam, whose approval was voided (one email).
    declined = Notification.objects.filter(event="acceptance.declined")
    assert sorted(declined.values_list("recipient", flat=True)) == [
        "alice@example.test",
        "sam@example.test",
    ]
    owner_mail = declined.get(recipient="sam@example.test")
    assert "CSP is not enforced on /legacy" in owner_mail.body_text
    assert "CSP is not enforced on /legacy" in owner_mail.body_html
    # The approval of the declined round stops counting; eric is told he is not needed.
    assert Signature.objects.get(user=stakeholder).void
    assert Notification.objects.filter(
        event="signature.withdrawn", recipient="eric@example.test"
    ).exists()


def test_a_resubmission_after_a_decline_is_a_new_round(submitted, stakeholder2, architect):
    sign(stakeholder2, submitted, verdict="decline", reason="not yet")
    services.acceptance_update(actor=architect, acceptance=submitted, scope="Narrower")
    services.acceptance_submit(actor=architect, acceptance=submitted)
    assert submitted.signing_round == 2
    assert not Signature.objects.filter(void=False).exists()


def test_an_edit_after_signatures_voids_them_and_rerequests(
    submitted, stakeholder, stakeholder2, stakeholder3, architect
):
    from config.notifications.models import Notification

    first = sign(stakeholder, submitted)
    sign(stakeholder2, submitted)
    mitigation = submitted.mitigations.first()
    services.mitigation_save(
        actor=architect,
        acceptance=submitted,
        mitigation=mitigation,
        description="Strict CSP with nonces, enforced on every frontend",
        status="in_place",
        owner=stakeholder3,
    )
    submitted.refresh_from_db()
    first.refresh_from_db()
    assert first.void and first.voided_at and "content changed" in first.void_reason
    assert submitted.state == S.AWAITING and submitted.signing_round == 2
    assert Signature.objects.filter(void=False).count() == 0
    rerequested = Notification.objects.filter(event="signature.rerequested")
    assert rerequested.count() == 3
    # Signing again works, and the chain continues over the void signatures.
    again = sign(stakeholder, submitted)
    assert (
        again.previous_hash == Signature.objects.filter(void=True).order_by("-id")[0].signature_hash
    )


def test_an_edit_of_an_accepted_document_returns_it_to_awaiting(
    submitted, stakeholder, stakeholder2, stakeholder3, architect
):
    for user in (stakeholder, stakeholder2, stakeholder3):
        sign(user, submitted)
    submitted.refresh_from_db()
    assert submitted.state == S.ACCEPTED
    services.acceptance_update(actor=architect, acceptance=submitted, likelihood=4)
    assert submitted.state == S.AWAITING
    assert Signature.objects.filter(void=True).count() == 3


def test_saving_unchanged_content_voids_nothing(submitted, stakeholder, architect):
    sign(stakeholder, submitted)
    services.acceptance_update(actor=architect, acceptance=submitted, title=submitted.title)
    assert Signature.objects.get().void is False


def test_a_removed_signatory_is_told_they_are_no_longer_needed(submitted, stakeholder3, architect):
    from config.notifications.models import Notification

    services.signatory_remove(
        actor=architect, signatory=submitted.signatories.get(user=stakeholder3)
    )
    assert Notification.objects.filter(
        event="signature.withdrawn", recipient="eric@example.test"
    ).exists()
    assert Notification.objects.filter(event="signature.rerequested").count() == 2


def test_only_the_owner_or_an_architect_edits(draft, stakeholder, stakeholder2):
    with pytest.raises(PermissionDenied):
        services.acceptance_update(actor=stakeholder2, acceptance=draft, title="Mine now")
    services.acceptance_update(actor=stakeholder, acceptance=draft, title="Owner's edit")
    assert RiskAcceptance.objects.get().title == "Owner's edit"


def test_revoking_needs_a_reason(submitted, architect):
    with pytest.raises(ValidationError, match="why"):
        services.acceptance_revoke(actor=architect, acceptance=submitted, reason=" ")
    services.acceptance_revoke(actor=architect, acceptance=submitted, reason="fixed differently")
    assert submitted.state == S.REVOKED and submitted.state_reason == "fixed differently"
    with pytest.raises(ValidationError):
        services.acceptance_update(actor=architect, acceptance=submitted, title="again")


def test_remediation_ends_an_accepted_acceptance(
    submitted, stakeholder, stakeholder2, stakeholder3
):
    with pytest.raises(ValidationError):
        services.acceptance_mark_remediated(actor=stakeholder, acceptance=submitted)
    for user in (stakeholder, stakeholder2, stakeholder3):
        sign(user, submitted)
    services.acceptance_mark_remediated(
        actor=stakeholder, acceptance=submitted, reason="tokens moved to HttpOnly cookies"
    )
    assert submitted.state == S.REMEDIATED


def test_triggering_is_idempotent_and_recorded(submitted, stakeholder, stakeholder2, stakeholder3):
    for user in (stakeholder, stakeholder2, stakeholder3):
        sign(user, submitted)
    services.acceptance_mark_triggered(acceptance=submitted, reason="legacy sunset arrived")
    services.acceptance_mark_triggered(acceptance=submitted, reason="legacy sunset arrived")
    assert submitted.state == S.TRIGGERED
    states = list(submitted.history.order_by("history_id").values_list("state", flat=True))
    assert states.count("triggered") == 1


def test_expiry_is_idempotent_and_releases_awaited_signatories(submitted):
    from config.notifications.models import Notification

    services.acceptance_expire(acceptance=submitted)
    services.acceptance_expire(acceptance=submitted)
    assert submitted.state == S.EXPIRED
    assert Notification.objects.filter(event="signature.withdrawn").count() == 3


def test_a_user_who_has_signed_cannot_be_deleted(submitted, stakeholder):
    sign(stakeholder, submitted)
    submitted.signatories.filter(user=stakeholder).delete()  # even without their line
    with pytest.raises(ProtectedError):
        stakeholder.delete()
    stakeholder.is_active = False
    stakeholder.save()


def test_the_digest_covers_mitigations_signatories_and_linked_decisions(draft, architect, log):
    from adr.services import decision_create

    digests = {signing.acceptance_digest(draft)}
    Mitigation.objects.filter(acceptance=draft, position=0).update(status="verified")
    digests.add(signing.acceptance_digest(draft))
    draft.signatories.filter(position=2).update(meaning="CTO")
    digests.add(signing.acceptance_digest(draft))
    other = decision_create(actor=architect, log=log, title="Other")
    draft.decisions.add(other)
    digests.add(signing.acceptance_digest(draft))
    assert len(digests) == 4
    assert signing.acceptance_canonical(draft) == signing.acceptance_canonical(draft)

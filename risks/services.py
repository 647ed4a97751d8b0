"""The write API of risk acceptances: every change other apps, pages and the API make
goes through a function here. Each runs in a transaction on the locked row.

What lives where (see also `risks/__init__.py`):
- the state machine, as data, and the row helpers: `risks.workflow`;
- who may do what: `risks.permissions`;
- canonical content, digests and signature hashes: `risks.signing`;
- content edits and what they do to signatures: `risks.content`; the document's lists
  (mitigations, signatories): `risks.parts`;
- the emails the workflow sends: `risks.notify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config import concurrency
from config.audit import delete_or_refuse
from config.history import tracked_save

from . import notify, signatures
from .access import decision_ids_of, require_acceptance_writer, require_links_allowed
from .content import apply_decisions, content_edit, run_saved_hooks
from .ledger_chain import chain_record, html_digest
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature
from .parts import apply_mitigations, apply_signatories, mitigation_write, signatory_write
from .permissions import require_can_sign, require_editor
from .signing import acceptance_digest
from .workflow import (
    STATE_FIELDS,
    Action,
    allows,
    awaited_users,
    lock,
    require,
    signatory_users,
    submit_problems,
    sync,
    transition,
    void_signatures,
)

if TYPE_CHECKING:
    from config.accounts.models import User

CONTENT_FIELDS = (
    "title",
    "finding_source",
    "finding_reference",
    "risk_statement",
    "likelihood",
    "impact",
    "scope",
    "residual_risk",
    "owner",
    "expires_on",
)


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown acceptance fields: {sorted(unknown)}")
    return fields


# --- Public services: create and edit ----------------------------------------------


@transaction.atomic
def acceptance_create(
    *,
    actor: User,
    title: str,
    risk_statement: str,
    owner: User,
    decisions: Iterable | None = None,
    mitigations: list[dict] | None = None,
    signatories: list[dict] | None = None,
    reason: str = "acceptance drafted",
    **fields: Any,
) -> RiskAcceptance:
    """Draft a new acceptance (architects of its decisions' logs draft; the owner may be
    anyone active)."""
    draft = RiskAcceptance(owner=owner)
    require_acceptance_writer(actor, draft, decision_ids=decision_ids_of(decisions))
    _clean_fields(fields)
    acceptance = RiskAcceptance(
        title=title.strip(),
        risk_statement=risk_statement,
        owner=owner,
        created_by=actor,
        **fields,
    )
    acceptance.full_clean()
    tracked_save(acceptance, actor=actor, reason=reason)
    apply_decisions(acceptance, decisions)
    if mitigations:
        apply_mitigations(actor=actor, acceptance=acceptance, rows=mitigations, reason=reason)
    if signatories:
        apply_signatories(actor=actor, acceptance=acceptance, rows=signatories, reason=reason)
    run_saved_hooks(acceptance, actor)
    chain_record(acceptance, kind="created", actor=actor, facts={"reason": reason})
    return acceptance


@transaction.atomic
def acceptance_update(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    decisions: Iterable | None = None,
    mitigations: list[dict] | None = None,
    signatories: list[dict] | None = None,
    reason: str = "edited",
    expected_version: int | None = None,
    **fields: Any,
) -> RiskAcceptance:
    """Edit content, and optionally replace the lists (None leaves a list alone).

    Outside draft, any change to signed content voids the signatures and re-requests them.
    `expected_version` is the version the editor loaded (ConflictError if it moved on).
    """
    _clean_fields(fields)
    with content_edit(
        actor=actor, acceptance=acceptance, reason=reason, expected_version=expected_version
    ) as locked:
        changed = concurrency.assign(locked, **fields)
        if changed:
            locked.full_clean()
            # Only the fields edited: state, round and signatures are the workflow's.
            concurrency.save_changed(locked, fields=changed, actor=actor, reason=reason)
        require_links_allowed(actor, locked, decisions)
        apply_decisions(locked, decisions, actor=actor, reason=reason)
        if mitigations is not None:
            apply_mitigations(actor=actor, acceptance=locked, rows=mitigations, reason=reason)
        if signatories is not None:
            apply_signatories(actor=actor, acceptance=locked, rows=signatories, reason=reason)
    return sync(acceptance, locked)


@transaction.atomic
def mitigation_save(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    mitigation: Mitigation | None = None,
    description: str,
    status: str = Mitigation.Status.PLANNED,
    owner: User | None = None,
    due_on: date | None = None,
    reason: str = "mitigation edited",
) -> Mitigation:
    """Add a mitigation (mitigation=None) or edit one."""
    if mitigation is not None and mitigation.acceptance_id != acceptance.pk:
        raise ValidationError("That mitigation belongs to another acceptance.")
    with content_edit(actor=actor, acceptance=acceptance, reason=reason) as locked:
        result = mitigation_write(
            actor=actor,
            acceptance=locked,
            mitigation=mitigation,
            reason=reason,
            description=description,
            status=status,
            owner=owner,
            due_on=due_on,
        )
    sync(acceptance, locked)
    return result


@transaction.atomic
def signatory_add(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    user: User,
    meaning: str,
    reason: str = "signatory named",
) -> RequiredSignatory:
    with content_edit(actor=actor, acceptance=acceptance, reason=reason) as locked:
        line = RequiredSignatory.objects.filter(acceptance=locked, user=user).first()
        line = signatory_write(
            actor=actor,
            acceptance=locked,
            line=line,
            user=user,
            meaning=meaning.strip(),
            position=None,
            reason=reason,
        )
    sync(acceptance, locked)
    return line


@transaction.atomic
def signatory_remove(
    *, actor: User, signatory: RequiredSignatory, reason: str = "signatory removed"
) -> RiskAcceptance:
    with content_edit(actor=actor, acceptance=signatory.acceptance, reason=reason) as locked:
        delete_or_refuse(signatory, actor=actor, reason=reason)
    return sync(signatory.acceptance, locked)


# --- Public services: the workflow ------------------------------------------------


@transaction.atomic
def acceptance_submit(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    reason: str = "submitted for signature",
    hook_checks: bool = True,
) -> RiskAcceptance:
    """draft → awaiting signatures; each signatory is asked to sign (round N).

    `hook_checks=False` only for the demo seed, whose triggers are added by the triggers
    demo later in the same transaction.
    """
    locked = lock(acceptance)
    require_editor(actor, locked)
    require(locked, Action.SUBMIT)
    problems = submit_problems(locked, actor=actor, hook_checks=hook_checks)
    if problems:
        raise ValidationError(problems)
    # Anything left from an earlier round (e.g. the decline that sent it back) stops counting.
    void_signatures(locked, actor=actor, reason="resubmitted for signature")
    transition(locked, Action.SUBMIT, reason=reason)
    locked.signing_round += 1
    locked.submitted_by = actor
    locked.submitted_at = timezone.now()
    tracked_save(
        locked,
        actor=actor,
        reason=reason,
        update_fields=[*STATE_FIELDS, "signing_round", "submitted_by", "submitted_at"],
    )
    notify.notify_signatories(locked, signatory_users(locked), "requested", actor=actor)
    chain_record(
        locked,
        kind="submitted",
        actor=actor,
        facts={"reason": reason, "digest": acceptance_digest(locked)},
    )
    return sync(acceptance, locked)


def acceptance_sign(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    password: str,
    verdict: str,
    reason: str = "",
    ip_address: str | None = None,
    expected_digest: str | None = None,
) -> Signature:
    """Sign the signatory's own line, after re-entering the password.

    Wrong passwords are recorded; too many lock signing for that user for a while
    (risks.permissions.signing_locked_until). `expected_digest` (the digest shown on the
    signing page) refuses the signature if the content changed while the signer was reading.
    """
    require_can_sign(actor, acceptance)
    if verdict not in Signature.Verdict.values:
        raise ValidationError({"verdict": "Choose approve or decline."})
    if verdict == Signature.Verdict.DECLINE and not (reason or "").strip():
        raise ValidationError({"reason": "Say why you decline."})
    signatures.check_password(
        actor=actor, acceptance=acceptance, password=password, ip_address=ip_address
    )
    with transaction.atomic():
        signature = sign_verified(
            actor=actor,
            acceptance=acceptance,
            verdict=verdict,
            reason=reason,
            expected_digest=expected_digest,
        )
        signatures.record_attempt(acceptance, actor, succeeded=True, ip_address=ip_address)
    return signature


@transaction.atomic
def sign_verified(
    *,
    actor: User,
    acceptance: RiskAcceptance,
    verdict: str,
    reason: str = "",
    auth_method: str = signatures.PASSWORD_AUTH,
    expected_digest: str | None = None,
) -> Signature:
    """Record a signature for an already authenticated signer (acceptance_sign checks the
    password first; the demo seed uses this with an honest `auth_method`)."""
    locked = lock(acceptance)
    line = require_can_sign(actor, locked)
    require(locked, Action.DECLINE if verdict == Signature.Verdict.DECLINE else Action.APPROVE)
    signature = signatures.signature_write(
        actor=actor,
        acceptance=locked,
        line=line,
        verdict=verdict,
        reason=reason,
        auth_method=auth_method,
        expected_digest=expected_digest,
    )
    if verdict == Signature.Verdict.DECLINE:
        awaited = [u for u in awaited_users(locked) if u.pk != actor.pk]
        void_signatures(
            locked,
            actor=actor,
            reason="declined",
            void_reason=f"declined by {actor.printed_name}",
            keep=signature,
        )
        transition(locked, Action.DECLINE, reason=f"declined by {actor.printed_name}")
        tracked_save(
            locked,
            actor=actor,
            reason=f"declined: {signature.reason}"[:100],
            update_fields=STATE_FIELDS,
        )
        notify.notify_signatories(locked, awaited, "withdrawn")
    elif not awaited_users(locked):
        transition(locked, Action.LAST_APPROVAL, reason="every signatory approved")
        tracked_save(
            locked,
            actor=actor,
            reason="accepted: last signature",
            update_fields=STATE_FIELDS,
        )
    notify.notify_signature_outcome(locked, signature)
    chain_record(
        locked,
        kind="signed",
        actor=actor,
        facts={
            "signature": signature.pk,
            "verdict": verdict,
            "content_digest": signature.content_digest,
            "html_digest": html_digest(locked.pk),
            "signature_hash": signature.signature_hash,
        },
    )
    sync(acceptance, locked)
    return signature


@transaction.atomic
def acceptance_revoke(*, actor: User, acceptance: RiskAcceptance, reason: str) -> RiskAcceptance:
    locked = lock(acceptance)
    require_editor(actor, locked)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the acceptance is revoked."})
    require(locked, Action.REVOKE)
    notify.leave_awaiting(locked)
    transition(locked, Action.REVOKE, reason=reason.strip())
    tracked_save(
        locked,
        actor=actor,
        reason=f"revoked: {reason.strip()}"[:100],
        update_fields=STATE_FIELDS,
    )
    chain_record(locked, kind="revoked", actor=actor, facts={"reason": reason.strip()})
    return sync(acceptance, locked)


@transaction.atomic
def acceptance_mark_remediated(
    *, actor: User, acceptance: RiskAcceptance, reason: str = "the risk was remediated"
) -> RiskAcceptance:
    """The risk is gone (the fix shipped): the acceptance is no longer needed."""
    locked = lock(acceptance)
    require_editor(actor, locked)
    transition(locked, Action.REMEDIATE, reason=(reason or "").strip() or "remediated")
    tracked_save(
        locked, actor=actor, reason=f"remediated: {reason}"[:100], update_fields=STATE_FIELDS
    )
    chain_record(locked, kind="remediated", actor=actor, facts={"reason": reason})
    return sync(acceptance, locked)


@transaction.atomic
def acceptance_mark_triggered(
    *, acceptance: RiskAcceptance, reason: str, actor: User | None = None
) -> RiskAcceptance:
    """A trigger fired: accepted (or awaiting) → triggered. Idempotent; other states stay."""
    locked = lock(acceptance)
    if not allows(locked.state, Action.TRIGGER):
        return sync(acceptance, locked)
    notify.leave_awaiting(locked)
    transition(locked, Action.TRIGGER, reason=reason or "a trigger fired")
    tracked_save(
        locked, actor=actor, reason=f"triggered: {reason}"[:100], update_fields=STATE_FIELDS
    )
    chain_record(locked, kind="triggered", actor=actor, facts={"reason": reason})
    return sync(acceptance, locked)


@transaction.atomic
def acceptance_expire(*, acceptance: RiskAcceptance, actor: User | None = None) -> RiskAcceptance:
    """The expiry date arrived: awaiting | accepted | triggered → expired. Idempotent."""
    locked = lock(acceptance)
    if not allows(locked.state, Action.EXPIRE):
        return sync(acceptance, locked)
    notify.leave_awaiting(locked)
    transition(locked, Action.EXPIRE, reason=f"expired on {locked.expires_on}")
    tracked_save(locked, actor=actor, reason="expired", update_fields=STATE_FIELDS)
    chain_record(locked, kind="expired", actor=actor, facts={"expires_on": locked.expires_on})
    return sync(acceptance, locked)

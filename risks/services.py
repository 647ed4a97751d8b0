"""Writes to risk acceptances. Every state change goes through a function here.

The state machine (one place, `TRANSITIONS`):

    draft → awaiting (submit) → accepted (last approval) → expired | revoked | remediated
    awaiting → draft (a signatory declines)
    awaiting | accepted → triggered (a trigger fires; the triggers app calls us)
    awaiting | accepted | triggered | expired → awaiting (signed content edited: signatures void)
    awaiting | accepted | triggered | expired → draft (edited by a named signatory: risks.duties)

A signature is bound to the SHA-256 of the canonical content (`acceptance_canonical`)
and chained to the previous signature of the same document (`signature_hash`).
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from adr.models import Decision
from config import concurrency
from config.accounts.roles import ARCHITECT, has_role, require_role
from config.audit import delete_or_refuse
from config.clock import ledger_today
from config.history import tracked_save

from . import duties, hooks, notices
from .ledger_chain import chain_record, html_digest
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature, SigningAttempt

S = RiskAcceptance.State

TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.AWAITING, S.REVOKED},
    S.AWAITING: {S.ACCEPTED, S.DRAFT, S.REVOKED, S.TRIGGERED, S.EXPIRED, S.AWAITING},
    S.ACCEPTED: {S.EXPIRED, S.REVOKED, S.REMEDIATED, S.TRIGGERED, S.AWAITING, S.DRAFT},
    S.TRIGGERED: {S.REVOKED, S.REMEDIATED, S.EXPIRED, S.AWAITING, S.DRAFT},
    S.EXPIRED: {S.REVOKED, S.REMEDIATED, S.AWAITING, S.DRAFT},
    S.REVOKED: set(),
    S.REMEDIATED: set(),
}
# What a state change writes (from the locked row; `_set_state` bumps the version).
STATE_FIELDS = ["state", "state_reason", "state_changed_at", "version"]
# States whose content may still be edited; outside draft an edit voids the signatures.
EDITABLE_STATES = {S.DRAFT, S.AWAITING, S.ACCEPTED, S.TRIGGERED, S.EXPIRED}
# States whose non-void signatures must match the current content (verify_ledger).
SIGNED_STATES = {S.AWAITING, S.ACCEPTED, S.TRIGGERED, S.EXPIRED}

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

SIGNING_FAILURE_LIMIT = 5
SIGNING_LOCKOUT = timedelta(minutes=15)
PASSWORD_AUTH = "password re-entered on the signing form"

User = get_user_model()


# --- Canonical content, digest and signature hashes -------------------------------


def _user_ref(user_id: int | None, usernames: dict[int, str]) -> dict | None:
    if user_id is None:
        return None
    return {"id": user_id, "username": usernames.get(user_id, "")}


def acceptance_canonical(acceptance: RiskAcceptance) -> bytes:
    """Stable JSON of every signed field, mitigations and signatories included.

    Always read fresh from the database (never from prefetch caches) so that what is
    hashed is what is stored. Lists keep the rendered order (position, id); keys sorted.
    """
    mitigations = list(
        Mitigation.objects.filter(acceptance_id=acceptance.pk)
        .order_by("position", "id")
        .values("description", "status", "owner_id", "due_on")
    )
    signatories = list(
        RequiredSignatory.objects.filter(acceptance_id=acceptance.pk)
        .order_by("position", "id")
        .values("user_id", "meaning")
    )
    decisions = list(
        Decision.objects.filter(risk_acceptances__pk=acceptance.pk)
        .order_by("pk")
        .values_list("pk", "log__key", "number")
    )
    user_ids = {acceptance.owner_id}
    user_ids |= {m["owner_id"] for m in mitigations if m["owner_id"]}
    user_ids |= {s["user_id"] for s in signatories}
    usernames = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "username"))
    doc = {
        "document": "risk-acceptance",
        "id": acceptance.pk,
        "title": acceptance.title,
        "finding_source": acceptance.finding_source,
        "finding_reference": acceptance.finding_reference,
        "risk_statement": acceptance.risk_statement,
        "likelihood": acceptance.likelihood,
        "impact": acceptance.impact,
        "scope": acceptance.scope,
        "residual_risk": acceptance.residual_risk,
        "owner": _user_ref(acceptance.owner_id, usernames),
        "expires_on": acceptance.expires_on.isoformat() if acceptance.expires_on else None,
        "decisions": [
            {"id": pk, "reference": f"{key}-{number:04d}"} for pk, key, number in decisions
        ],
        "mitigations": [
            {
                "description": m["description"],
                "status": m["status"],
                "owner": _user_ref(m["owner_id"], usernames),
                "due_on": m["due_on"].isoformat() if m["due_on"] else None,
            }
            for m in mitigations
        ],
        "signatories": [
            {"user": _user_ref(s["user_id"], usernames), "meaning": s["meaning"]}
            for s in signatories
        ],
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def acceptance_digest(acceptance: RiskAcceptance) -> str:
    return hashlib.sha256(acceptance_canonical(acceptance)).hexdigest()


def signature_canonical(signature: Signature) -> bytes:
    """What a signature's own hash covers: everything it attests, and the previous hash.

    Not `void`/`voided_at`: voiding is a later, recorded event, not part of the act.
    """
    signed_at = signature.signed_at.astimezone(UTC).isoformat(timespec="microseconds")
    doc = {
        "acceptance": signature.acceptance_id,
        "user": signature.user_id,
        "printed_name": signature.printed_name,
        "meaning": signature.meaning,
        "verdict": signature.verdict,
        "reason": signature.reason,
        "signed_at": signed_at,
        "auth_method": signature.auth_method,
        "content_digest": signature.content_digest,
        "signing_round": signature.signing_round,
        "previous_hash": signature.previous_hash,
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def signature_compute_hash(signature: Signature) -> str:
    return hashlib.sha256(signature_canonical(signature)).hexdigest()


# --- Permissions -------------------------------------------------------------------


def can_edit(user, acceptance: RiskAcceptance) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return acceptance.owner_id == user.pk or has_role(user, ARCHITECT)


def _require_editor(actor, acceptance: RiskAcceptance) -> None:
    if not can_edit(actor, acceptance):
        raise PermissionDenied("Only the accountable owner or an architect can change this.")


# --- Helpers -----------------------------------------------------------------------


def _lock(acceptance: RiskAcceptance) -> RiskAcceptance:
    """Lock the acceptance row (PostgreSQL: concurrent writers queue here) and re-read it."""
    return RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)


def _sync(target: RiskAcceptance, source: RiskAcceptance) -> RiskAcceptance:
    """Let the caller's instance see what the locked copy wrote."""
    if target is not source:
        for field in RiskAcceptance._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
    return source


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _set_state(acceptance: RiskAcceptance, state: str, *, actor, reason: str) -> None:
    if state not in TRANSITIONS[acceptance.state]:
        raise ValidationError(
            {
                "state": f"A {acceptance.get_state_display().lower()} acceptance cannot become "
                f"{S(state).label.lower()}."
            }
        )
    acceptance.state = state
    acceptance.state_reason = reason[:500]
    acceptance.state_changed_at = timezone.now()
    # A new state is a new version: an edit page loaded before (whose warning about
    # voiding signatures depended on the state) is refused with what changed.
    concurrency.bump(acceptance)


def _signatory_users(acceptance: RiskAcceptance) -> list:
    return [
        line.user
        for line in RequiredSignatory.objects.filter(acceptance=acceptance)
        .select_related("user")
        .order_by("position", "id")
    ]


def _awaited_users(acceptance: RiskAcceptance) -> list:
    signed = set(
        Signature.objects.filter(acceptance=acceptance, void=False).values_list(
            "user_id", flat=True
        )
    )
    return [u for u in _signatory_users(acceptance) if u.pk not in signed]


def _void_signatures(
    acceptance: RiskAcceptance,
    *,
    actor,
    reason: str,
    void_reason: str | None = None,
    keep: Signature | None = None,
) -> None:
    """Void every valid signature but `keep`; `void_reason` (default: `reason`) is stored."""
    now = timezone.now()
    signatures = Signature.objects.filter(acceptance=acceptance, void=False).order_by("id")
    if keep is not None:
        signatures = signatures.exclude(pk=keep.pk)
    for sig in signatures:
        sig.void = True
        sig.voided_at = now
        sig.void_reason = (void_reason or reason)[:300]
        tracked_save(
            sig, actor=actor, reason=reason, update_fields=["void", "voided_at", "void_reason"]
        )


def _run_saved_hooks(acceptance: RiskAcceptance, actor) -> None:
    for hook in hooks.ACCEPTANCE_SAVED:
        hook(acceptance, actor)


# --- Emails ------------------------------------------------------------------------


# Who hears of what: risks/notices.py, by the table in config/notifications/table.py.
_notify_signatories = notices.notify_signatories
_notify_owner = notices.notify_signature_outcome


# --- Content edits -----------------------------------------------------------------


@contextmanager
def _content_edit(
    *, actor, acceptance: RiskAcceptance, reason: str, expected_version: int | None = None
):
    """Lock, check who may edit and that the editor saw this version, run the edit, and
    handle what it changed.

    If the canonical content changed, the version goes up (once). Outside draft, the
    signatures are voided (kept, in history), the document goes back to awaiting
    signatures in a new round and the signatories hear of it. Hooks (ACCEPTANCE_SAVED)
    run after any change.
    """
    with concurrency.one_bump():
        locked = _lock(acceptance)
        _require_editor(actor, locked)
        concurrency.check_version(locked, expected_version)
        yield from _edit_locked(actor=actor, locked=locked, reason=reason)


def _edit_locked(*, actor, locked: RiskAcceptance, reason: str):
    if locked.state not in EDITABLE_STATES:
        raise ValidationError(
            f"A {locked.get_state_display().lower()} acceptance can no longer be edited."
        )
    before_digest = acceptance_digest(locked)
    before_users = {u.pk: u for u in _signatory_users(locked)}
    yield locked
    after_digest = acceptance_digest(locked)
    facts = {"reason": reason, "digest": after_digest, "html_digest": html_digest(locked.pk)}
    if after_digest == before_digest:
        chain_record(locked, kind="edited", actor=actor, facts=facts, only_if_changed=True)
        return
    concurrency.touch(locked, actor=actor, reason=reason, locked=True)
    if locked.state != S.DRAFT and duties.edited_by_signatory(
        actor, before_users, _signatory_users(locked)
    ):
        duties.back_to_draft(locked, actor=actor, reason=reason)
        others = [u for u in _signatory_users(locked) if u.pk != actor.pk]
        _notify_signatories(locked, others, "withdrawn", actor=actor)
    elif locked.state != S.DRAFT:
        _void_signatures(locked, actor=actor, reason=f"content changed: {reason}")
        _set_state(locked, S.AWAITING, actor=actor, reason=f"content changed: {reason}")
        locked.signing_round += 1
        tracked_save(
            locked,
            actor=actor,
            reason=f"signatures void, re-requested: {reason}",
            update_fields=[*STATE_FIELDS, "signing_round"],
        )
        after_users = {u.pk: u for u in _signatory_users(locked)}
        _notify_signatories(
            locked,
            [u for pk, u in after_users.items() if pk in before_users],
            "rerequested",
            actor=actor,
        )
        _notify_signatories(
            locked,
            [u for pk, u in after_users.items() if pk not in before_users],
            "requested",
            actor=actor,
        )
        _notify_signatories(
            locked,
            [u for pk, u in before_users.items() if pk not in after_users],
            "withdrawn",
            actor=actor,
        )
    _run_saved_hooks(locked, actor)
    chain_record(locked, kind="edited", actor=actor, facts=facts)


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(CONTENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown acceptance fields: {sorted(unknown)}")
    return fields


def _apply_decisions(
    acceptance: RiskAcceptance, decisions: Iterable | None, *, actor=None, reason: str = ""
) -> None:
    """Link these decisions. In an edit (`actor` given) the version goes up first, so the
    links' history row carries the new version (config.concurrency.conflict_for)."""
    if decisions is None:
        return
    wanted = {d.pk if hasattr(d, "pk") else int(d) for d in decisions}
    current = set(acceptance.decisions.values_list("pk", flat=True))
    if wanted != current:
        if actor is not None:
            concurrency.touch(acceptance, actor=actor, reason=reason, locked=True)
        acceptance.decisions.set(Decision.objects.filter(pk__in=wanted))


def _apply_mitigations(*, actor, acceptance: RiskAcceptance, rows: list[dict], reason) -> None:
    """Replace the list: rows with an `id` update that mitigation, others are new,
    existing ones not named are deleted. Row order is the rendered order."""
    existing = {m.pk: m for m in Mitigation.objects.filter(acceptance=acceptance)}
    keep: set[int] = set()
    for position, row in enumerate(rows):
        row = dict(row)
        pk = row.pop("id", None)
        mitigation = existing.get(pk) if pk else None
        if pk and mitigation is None:
            raise ValidationError("That mitigation belongs to another acceptance.")
        _mitigation_write(
            actor=actor,
            acceptance=acceptance,
            mitigation=mitigation,
            position=position,
            reason=reason,
            **row,
        )
        if mitigation is not None:
            keep.add(mitigation.pk)
    for pk, mitigation in existing.items():
        if pk not in keep:
            _mitigation_remove(actor=actor, mitigation=mitigation, reason=reason)


def _mitigation_remove(*, actor, mitigation: Mitigation, reason: str) -> None:
    """Delete a mitigation from the document (its history keeps it). What watched it is
    retired first by the MITIGATION_REMOVING hooks — never deleted with it, since a
    trigger's evaluations and fired events are audit rows; anything else still on record
    for it refuses the edit with the reason (config.audit.delete_or_refuse)."""
    for hook in hooks.MITIGATION_REMOVING:
        hook(mitigation, actor, reason)
    delete_or_refuse(mitigation, actor=actor, reason=reason)


def _mitigation_write(
    *,
    actor,
    acceptance,
    mitigation: Mitigation | None,
    reason: str,
    description: str,
    status: str = Mitigation.Status.PLANNED,
    owner=None,
    due_on: date | None = None,
    position: int | None = None,
) -> Mitigation:
    if mitigation is None:
        mitigation = Mitigation(acceptance=acceptance)
        if position is None:
            position = Mitigation.objects.filter(acceptance=acceptance).count()
    new = {
        "description": description.strip(),
        "status": status,
        "owner_id": owner.pk if owner is not None else None,
        "due_on": due_on,
    }
    if position is not None:
        new["position"] = position
    if mitigation.pk and all(getattr(mitigation, k) == v for k, v in new.items()):
        return mitigation
    for key, value in new.items():
        setattr(mitigation, key, value)
    # The acceptance and the owner are loaded rows: no query to check they exist.
    mitigation.full_clean(exclude=["acceptance", "owner"])
    tracked_save(mitigation, actor=actor, reason=reason)
    return mitigation


def _apply_signatories(*, actor, acceptance: RiskAcceptance, rows: list[dict], reason) -> None:
    """Replace the list of signatories: rows are {user, meaning}, matched by user."""
    existing = {s.user_id: s for s in RequiredSignatory.objects.filter(acceptance=acceptance)}
    seen: set[int] = set()
    for position, row in enumerate(rows):
        user, meaning = row["user"], (row.get("meaning") or "").strip()
        if user.pk in seen:
            raise ValidationError(f"{user.printed_name} is named twice as a signatory.")
        seen.add(user.pk)
        _signatory_write(
            actor=actor,
            acceptance=acceptance,
            line=existing.get(user.pk),
            user=user,
            meaning=meaning,
            position=position,
            reason=reason,
        )
    for user_id, line in existing.items():
        if user_id not in seen:
            delete_or_refuse(line, actor=actor, reason=reason)


def _signatory_write(
    *, actor, acceptance, line: RequiredSignatory | None, user, meaning, position, reason
) -> RequiredSignatory:
    if not user.is_active:
        raise ValidationError(f"{user.printed_name} is deactivated and cannot sign.")
    if not meaning:
        raise ValidationError("Every signatory needs the meaning of their signature.")
    if line is None:
        if position is None:
            position = RequiredSignatory.objects.filter(acceptance=acceptance).count()
        line = RequiredSignatory(acceptance=acceptance, user=user)
    elif line.meaning == meaning and (position is None or line.position == position):
        return line
    line.meaning = meaning
    if position is not None:
        line.position = position
    line.full_clean(exclude=["acceptance", "user"], validate_constraints=False)
    tracked_save(line, actor=actor, reason=reason)
    return line


# --- Public services: create and edit ----------------------------------------------


@transaction.atomic
def acceptance_create(
    *,
    actor,
    title: str,
    risk_statement: str,
    owner,
    decisions: Iterable | None = None,
    mitigations: list[dict] | None = None,
    signatories: list[dict] | None = None,
    reason: str = "acceptance drafted",
    **fields: Any,
) -> RiskAcceptance:
    """Draft a new acceptance (architects draft; the owner may be anyone active)."""
    require_role(actor, ARCHITECT)
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
    _apply_decisions(acceptance, decisions)
    if mitigations:
        _apply_mitigations(actor=actor, acceptance=acceptance, rows=mitigations, reason=reason)
    if signatories:
        _apply_signatories(actor=actor, acceptance=acceptance, rows=signatories, reason=reason)
    _run_saved_hooks(acceptance, actor)
    chain_record(acceptance, kind="created", actor=actor, facts={"reason": reason})
    return acceptance


@transaction.atomic
def acceptance_update(
    *,
    actor,
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
    with _content_edit(
        actor=actor, acceptance=acceptance, reason=reason, expected_version=expected_version
    ) as locked:
        changed = concurrency.assign(locked, **fields)
        if changed:
            locked.full_clean()
            # Only the fields edited: state, round and signatures are the workflow's.
            concurrency.save_changed(locked, fields=changed, actor=actor, reason=reason)
        _apply_decisions(locked, decisions, actor=actor, reason=reason)
        if mitigations is not None:
            _apply_mitigations(actor=actor, acceptance=locked, rows=mitigations, reason=reason)
        if signatories is not None:
            _apply_signatories(actor=actor, acceptance=locked, rows=signatories, reason=reason)
    return _sync(acceptance, locked)


@transaction.atomic
def mitigation_save(
    *,
    actor,
    acceptance: RiskAcceptance,
    mitigation: Mitigation | None = None,
    description: str,
    status: str = Mitigation.Status.PLANNED,
    owner=None,
    due_on: date | None = None,
    reason: str = "mitigation edited",
) -> Mitigation:
    """Add a mitigation (mitigation=None) or edit one."""
    if mitigation is not None and mitigation.acceptance_id != acceptance.pk:
        raise ValidationError("That mitigation belongs to another acceptance.")
    with _content_edit(actor=actor, acceptance=acceptance, reason=reason) as locked:
        result = _mitigation_write(
            actor=actor,
            acceptance=locked,
            mitigation=mitigation,
            reason=reason,
            description=description,
            status=status,
            owner=owner,
            due_on=due_on,
        )
    _sync(acceptance, locked)
    return result


@transaction.atomic
def signatory_add(
    *, actor, acceptance: RiskAcceptance, user, meaning: str, reason: str = "signatory named"
) -> RequiredSignatory:
    with _content_edit(actor=actor, acceptance=acceptance, reason=reason) as locked:
        line = RequiredSignatory.objects.filter(acceptance=locked, user=user).first()
        line = _signatory_write(
            actor=actor,
            acceptance=locked,
            line=line,
            user=user,
            meaning=meaning.strip(),
            position=None,
            reason=reason,
        )
    _sync(acceptance, locked)
    return line


@transaction.atomic
def signatory_remove(
    *, actor, signatory: RequiredSignatory, reason: str = "signatory removed"
) -> RiskAcceptance:
    with _content_edit(actor=actor, acceptance=signatory.acceptance, reason=reason) as locked:
        delete_or_refuse(signatory, actor=actor, reason=reason)
    return _sync(signatory.acceptance, locked)


# --- Public services: the workflow ------------------------------------------------


def submit_problems(
    acceptance: RiskAcceptance, *, actor=None, hook_checks: bool = True
) -> list[str]:
    """Everything that stops this acceptance going to signature (empty list: it may go)."""
    problems: list[str] = []
    signatories = list(RequiredSignatory.objects.filter(acceptance=acceptance))
    if not signatories:
        problems.append("Name at least one signatory.")
    if not acceptance.expires_on:
        problems.append("Set an expiry date.")
    else:
        today = ledger_today()
        months = settings.LEDGER_MAX_ACCEPTANCE_MONTHS
        if acceptance.expires_on < today:
            problems.append("The expiry date is in the past.")
        elif acceptance.expires_on > add_months(today, months):
            problems.append(f"The expiry date is more than {months} months ahead (the policy).")
    if actor is not None and any(s.user_id == actor.pk for s in signatories):
        problems.append(
            "You are a named signatory: someone else must submit it (segregation of duties)."
        )
    for check in hooks.SUBMIT_CHECKS if hook_checks else ():
        message = check(acceptance)
        if message:
            problems.append(str(message))
    return problems


@transaction.atomic
def acceptance_submit(
    *,
    actor,
    acceptance: RiskAcceptance,
    reason: str = "submitted for signature",
    hook_checks: bool = True,
) -> RiskAcceptance:
    """draft → awaiting signatures; each signatory is asked to sign (round N).

    `hook_checks=False` only for the demo seed, whose triggers are added by the triggers
    demo later in the same transaction.
    """
    locked = _lock(acceptance)
    _require_editor(actor, locked)
    if locked.state != S.DRAFT:
        raise ValidationError("Only a draft can be submitted for signature.")
    problems = submit_problems(locked, actor=actor, hook_checks=hook_checks)
    if problems:
        raise ValidationError(problems)
    # Anything left from an earlier round (e.g. the decline that sent it back) stops counting.
    _void_signatures(locked, actor=actor, reason="resubmitted for signature")
    _set_state(locked, S.AWAITING, actor=actor, reason=reason)
    locked.signing_round += 1
    locked.submitted_by = actor
    locked.submitted_at = timezone.now()
    tracked_save(
        locked,
        actor=actor,
        reason=reason,
        update_fields=[*STATE_FIELDS, "signing_round", "submitted_by", "submitted_at"],
    )
    _notify_signatories(locked, _signatory_users(locked), "requested", actor=actor)
    chain_record(
        locked,
        kind="submitted",
        actor=actor,
        facts={"reason": reason, "digest": acceptance_digest(locked)},
    )
    return _sync(acceptance, locked)


def signing_locked_until(user) -> Any:
    """When signing unlocks for `user` after too many wrong passwords (None: not locked)."""
    since = timezone.now() - SIGNING_LOCKOUT
    failures = list(
        SigningAttempt.objects.filter(user=user, succeeded=False, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:SIGNING_FAILURE_LIMIT]
    )
    if len(failures) < SIGNING_FAILURE_LIMIT:
        return None
    return failures[-1] + SIGNING_LOCKOUT


def _record_attempt(acceptance, user, *, succeeded: bool, ip_address) -> None:
    # Its own savepoint: a failure is recorded even though the signing is refused.
    with transaction.atomic():
        _lock(acceptance)  # before the insert: the chain seals attempts in their order
        attempt = SigningAttempt(
            acceptance=acceptance, user=user, succeeded=succeeded, ip_address=ip_address
        )
        tracked_save(attempt, actor=user, reason="signing attempt")
        chain_record(
            acceptance,
            kind="signing-attempt",
            actor=user,
            facts={"attempt": attempt.pk, "succeeded": succeeded},
        )


def signatory_line_for(acceptance: RiskAcceptance, user) -> RequiredSignatory | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return RequiredSignatory.objects.filter(acceptance=acceptance, user=user).first()


def require_can_sign(actor, acceptance: RiskAcceptance) -> RequiredSignatory:
    """Raise PermissionDenied unless `actor` is a named signatory who may sign now."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Sign in to sign.")
    line = signatory_line_for(acceptance, actor)
    if line is None:
        raise PermissionDenied("Only a named signatory can sign this acceptance.")
    if acceptance.submitted_by_id == actor.pk:
        raise PermissionDenied(
            "You submitted this acceptance, so you cannot also sign it (segregation of duties)."
        )
    return line


def acceptance_sign(
    *,
    actor,
    acceptance: RiskAcceptance,
    password: str,
    verdict: str,
    reason: str = "",
    ip_address: str | None = None,
    expected_digest: str | None = None,
) -> Signature:
    """Sign the signatory's own line, after re-entering the password.

    Wrong passwords are recorded; SIGNING_FAILURE_LIMIT failures within SIGNING_LOCKOUT
    lock signing for that user. `expected_digest` (the digest shown on the signing page)
    refuses the signature if the content changed while the signer was reading.
    """
    require_can_sign(actor, acceptance)
    if verdict not in Signature.Verdict.values:
        raise ValidationError({"verdict": "Choose approve or decline."})
    if verdict == Signature.Verdict.DECLINE and not (reason or "").strip():
        raise ValidationError({"reason": "Say why you decline."})
    locked_until = signing_locked_until(actor)
    if locked_until is not None:
        _record_attempt(acceptance, actor, succeeded=False, ip_address=ip_address)
        local = timezone.localtime(locked_until)
        raise ValidationError(
            {
                "password": "Too many wrong passwords: signing is locked for your account "
                f"until {local:%H:%M %Z}."
            }
        )
    if not password or not actor.check_password(password):
        _record_attempt(acceptance, actor, succeeded=False, ip_address=ip_address)
        raise ValidationError({"password": "That password is not right. Nothing was signed."})
    with transaction.atomic():
        signature = sign_verified(
            actor=actor,
            acceptance=acceptance,
            verdict=verdict,
            reason=reason,
            expected_digest=expected_digest,
        )
        _record_attempt(acceptance, actor, succeeded=True, ip_address=ip_address)
    return signature


@transaction.atomic
def sign_verified(
    *,
    actor,
    acceptance: RiskAcceptance,
    verdict: str,
    reason: str = "",
    auth_method: str = PASSWORD_AUTH,
    expected_digest: str | None = None,
) -> Signature:
    """Record a signature for an already authenticated signer (acceptance_sign checks the
    password first; the demo seed uses this with an honest `auth_method`)."""
    locked = _lock(acceptance)
    line = require_can_sign(actor, locked)
    if locked.state != S.AWAITING:
        raise ValidationError("This acceptance is not awaiting signatures.")
    if Signature.objects.filter(acceptance=locked, user=actor, void=False).exists():
        raise ValidationError("You have already signed this version.")
    digest = acceptance_digest(locked)
    if expected_digest is not None and expected_digest != digest:
        raise ValidationError(
            "The document changed while you were reading it. Read the new version and sign again."
        )
    last = Signature.objects.filter(acceptance=locked).order_by("-id").first()
    signature = Signature(
        acceptance=locked,
        signatory=line,
        user=actor,
        printed_name=actor.printed_name,
        meaning=line.meaning,
        verdict=verdict,
        reason=(reason or "").strip(),
        signed_at=timezone.now(),
        auth_method=auth_method,
        content_digest=digest,
        signing_round=locked.signing_round,
        previous_hash=last.signature_hash if last else "",
    )
    signature.signature_hash = signature_compute_hash(signature)
    tracked_save(
        signature,
        actor=actor,
        reason=f"signed: {signature.get_verdict_display().lower()} as {line.meaning}",
    )
    if verdict == Signature.Verdict.DECLINE:
        awaited = [u for u in _awaited_users(locked) if u.pk != actor.pk]
        _void_signatures(
            locked,
            actor=actor,
            reason="declined",
            void_reason=f"declined by {actor.printed_name}",
            keep=signature,
        )
        _set_state(locked, S.DRAFT, actor=actor, reason=f"declined by {actor.printed_name}")
        tracked_save(
            locked,
            actor=actor,
            reason=f"declined: {signature.reason}"[:100],
            update_fields=STATE_FIELDS,
        )
        _notify_signatories(locked, awaited, "withdrawn")
    elif not _awaited_users(locked):
        _set_state(locked, S.ACCEPTED, actor=actor, reason="every signatory approved")
        tracked_save(
            locked,
            actor=actor,
            reason="accepted: last signature",
            update_fields=STATE_FIELDS,
        )
    _notify_owner(locked, signature)
    chain_record(
        locked,
        kind="signed",
        actor=actor,
        facts={
            "signature": signature.pk,
            "verdict": verdict,
            "content_digest": digest,
            "html_digest": html_digest(locked.pk),
            "signature_hash": signature.signature_hash,
        },
    )
    _sync(acceptance, locked)
    return signature


def _leave_awaiting(acceptance: RiskAcceptance) -> None:
    """Signatories still awaited when the document stops awaiting hear they are not needed."""
    if acceptance.state == S.AWAITING:
        _notify_signatories(acceptance, _awaited_users(acceptance), "withdrawn")


@transaction.atomic
def acceptance_revoke(*, actor, acceptance: RiskAcceptance, reason: str) -> RiskAcceptance:
    locked = _lock(acceptance)
    _require_editor(actor, locked)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the acceptance is revoked."})
    _leave_awaiting(locked)
    _set_state(locked, S.REVOKED, actor=actor, reason=reason.strip())
    tracked_save(
        locked,
        actor=actor,
        reason=f"revoked: {reason.strip()}"[:100],
        update_fields=STATE_FIELDS,
    )
    chain_record(locked, kind="revoked", actor=actor, facts={"reason": reason.strip()})
    return _sync(acceptance, locked)


@transaction.atomic
def acceptance_mark_remediated(
    *, actor, acceptance: RiskAcceptance, reason: str = "the risk was remediated"
) -> RiskAcceptance:
    """The risk is gone (the fix shipped): the acceptance is no longer needed."""
    locked = _lock(acceptance)
    _require_editor(actor, locked)
    if locked.state not in {S.ACCEPTED, S.TRIGGERED, S.EXPIRED}:
        raise ValidationError("Only an accepted, triggered or expired acceptance is remediated.")
    _set_state(locked, S.REMEDIATED, actor=actor, reason=(reason or "").strip() or "remediated")
    tracked_save(
        locked, actor=actor, reason=f"remediated: {reason}"[:100], update_fields=STATE_FIELDS
    )
    chain_record(locked, kind="remediated", actor=actor, facts={"reason": reason})
    return _sync(acceptance, locked)


@transaction.atomic
def acceptance_mark_triggered(
    *, acceptance: RiskAcceptance, reason: str, actor=None
) -> RiskAcceptance:
    """A trigger fired: accepted (or awaiting) → triggered. Idempotent; other states stay."""
    locked = _lock(acceptance)
    if locked.state not in {S.ACCEPTED, S.AWAITING}:
        return _sync(acceptance, locked)
    _leave_awaiting(locked)
    _set_state(locked, S.TRIGGERED, actor=actor, reason=reason or "a trigger fired")
    tracked_save(
        locked, actor=actor, reason=f"triggered: {reason}"[:100], update_fields=STATE_FIELDS
    )
    chain_record(locked, kind="triggered", actor=actor, facts={"reason": reason})
    return _sync(acceptance, locked)


@transaction.atomic
def acceptance_expire(*, acceptance: RiskAcceptance, actor=None) -> RiskAcceptance:
    """The expiry date arrived: awaiting | accepted | triggered → expired. Idempotent."""
    locked = _lock(acceptance)
    if locked.state not in {S.ACCEPTED, S.AWAITING, S.TRIGGERED}:
        return _sync(acceptance, locked)
    _leave_awaiting(locked)
    _set_state(locked, S.EXPIRED, actor=actor, reason=f"expired on {locked.expires_on}")
    tracked_save(locked, actor=actor, reason="expired", update_fields=STATE_FIELDS)
    chain_record(locked, kind="expired", actor=actor, facts={"expires_on": locked.expires_on})
    return _sync(acceptance, locked)

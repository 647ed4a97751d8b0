"""The document's lists: mitigations and required signatories, written inside a
content edit (risks.content) or at creation. Lists are replaced as a whole (rows in
rendered order) or changed one line at a time; a removed mitigation first goes
through the MITIGATION_REMOVING hooks, and rows still referenced refuse the edit
(config.audit.delete_or_refuse): history and audit rows are never deleted with them.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from config.audit import delete_or_refuse
from config.history import tracked_save

from . import hooks
from .models import Mitigation, RequiredSignatory, RiskAcceptance


def apply_mitigations(*, actor, acceptance: RiskAcceptance, rows: list[dict], reason) -> None:
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
        mitigation_write(
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
            mitigation_remove(actor=actor, mitigation=mitigation, reason=reason)


def mitigation_remove(*, actor, mitigation: Mitigation, reason: str) -> None:
    """Delete a mitigation from the document (its history keeps it). What watched it is
    retired first by the MITIGATION_REMOVING hooks — never deleted with it, since a
    trigger's evaluations and fired events are audit rows; anything else still on record
    for it refuses the edit with the reason (config.audit.delete_or_refuse)."""
    for hook in hooks.MITIGATION_REMOVING:
        hook(mitigation, actor, reason)
    delete_or_refuse(mitigation, actor=actor, reason=reason)


def mitigation_write(
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


def apply_signatories(*, actor, acceptance: RiskAcceptance, rows: list[dict], reason) -> None:
    """Replace the list of signatories: rows are {user, meaning}, matched by user."""
    existing = {s.user_id: s for s in RequiredSignatory.objects.filter(acceptance=acceptance)}
    seen: set[int] = set()
    for position, row in enumerate(rows):
        user, meaning = row["user"], (row.get("meaning") or "").strip()
        if user.pk in seen:
            raise ValidationError(f"{user.printed_name} is named twice as a signatory.")
        seen.add(user.pk)
        signatory_write(
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


def signatory_write(
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

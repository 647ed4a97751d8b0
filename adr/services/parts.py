"""The parts of a decision: options, matrix criteria and cells, sensitivity notes and
relations to other decisions.

One saver and one remover serve options, criteria and notes (`part_save`,
`part_delete`); `option_save` and friends are their typed entry points. Every part
write first locks the decision and bumps its version (`_part_changes`): one lock order
for every writer — the decision, then its parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from config import concurrency
from config.history import tracked_delete, tracked_save

from ..access import require_decision_writer
from ..models import Criterion, Decision, DecisionRelation, MatrixCell, Option, SensitivityNote
from .lifecycle import decision_change_status

if TYPE_CHECKING:
    from config.accounts.models import User

S = Decision.Status
P = TypeVar("P", Option, Criterion, SensitivityNote)

_LABEL = {Option: "option", Criterion: "criterion", SensitivityNote: "sensitivity note"}


def _part_changes(decision: Decision | int, *, actor: User, reason: str) -> None:
    """A part of the decision is about to change: lock the decision first (one lock
    order for every writer: decision, then its parts) and bump its version, so an edit
    page loaded before this sees a conflict instead of writing the part back."""
    if not isinstance(decision, Decision):
        decision = Decision(pk=decision)
    concurrency.touch(decision, actor=actor, reason=reason)


def _check_same_decision(
    decision: Decision, *objs: Option | Criterion | SensitivityNote | None
) -> None:
    for obj in objs:
        if obj is not None and obj.decision_id != decision.pk:
            raise ValidationError(f"{obj} does not belong to {decision.reference}.")


def _unchoose_others(decision: Decision, option: Option, actor: User) -> None:
    """One chosen option per decision: choosing this one un-chooses the others."""
    if option.chosen:
        for other in decision.options.filter(chosen=True).exclude(pk=option.pk):
            other.chosen = False
            tracked_save(
                other, actor=actor, reason="another option chosen", update_fields=["chosen"]
            )


def _favours_same_decision(decision: Decision, note: SensitivityNote, actor: User) -> None:
    if note.favours is not None:
        _check_same_decision(decision, note.favours)


# Per kind of part: a rule checked (or applied) after the fields are set, before saving.
_BEFORE_SAVE: dict[type, Callable[[Decision, Any, Any], None]] = {
    Option: _unchoose_others,
    SensitivityNote: _favours_same_decision,
}


@transaction.atomic
def part_save(
    *, actor: User, decision: Decision, model: type[P], obj: P | None, **fields: Any
) -> P:
    """Create (`obj` None) or edit an option, criterion or sensitivity note of `decision`."""
    require_decision_writer(actor, decision)
    label = _LABEL[model]
    part = obj or model(decision=decision)
    _check_same_decision(decision, part)
    _part_changes(decision, actor=actor, reason=f"{label} saved")
    if part.pk:
        part = concurrency.lock(part)  # write from the row as it is now
    for name, value in fields.items():
        setattr(part, name, value)
    if model in _BEFORE_SAVE:
        _BEFORE_SAVE[model](decision, part, actor)
    part.full_clean()
    tracked_save(part, actor=actor, reason=f"{label} saved")
    return part


@transaction.atomic
def part_delete(*, actor: User, obj: Option | Criterion | SensitivityNote) -> None:
    """Remove an option, criterion or note (with the matrix cells of an option or criterion)."""
    require_decision_writer(actor, obj.decision_id)
    reason = f"{_LABEL[type(obj)]} removed"
    _part_changes(obj.decision_id, actor=actor, reason=reason)
    if isinstance(obj, Option | Criterion):
        for cell in obj.cells.all():
            tracked_delete(cell, actor=actor, reason=reason)
    tracked_delete(obj, actor=actor, reason=reason)


def option_save(
    *, actor: User, decision: Decision, option: Option | None = None, **fields: Any
) -> Option:
    return part_save(actor=actor, decision=decision, model=Option, obj=option, **fields)


def criterion_save(
    *, actor: User, decision: Decision, criterion: Criterion | None = None, **fields: Any
) -> Criterion:
    return part_save(actor=actor, decision=decision, model=Criterion, obj=criterion, **fields)


def sensitivity_note_save(
    *, actor: User, decision: Decision, note: SensitivityNote | None = None, **fields: Any
) -> SensitivityNote:
    return part_save(actor=actor, decision=decision, model=SensitivityNote, obj=note, **fields)


def option_delete(*, actor: User, option: Option) -> None:
    part_delete(actor=actor, obj=option)


def criterion_delete(*, actor: User, criterion: Criterion) -> None:
    part_delete(actor=actor, obj=criterion)


def sensitivity_note_delete(*, actor: User, note: SensitivityNote) -> None:
    part_delete(actor=actor, obj=note)


@transaction.atomic
def cell_set(
    *, actor: User, criterion: Criterion, option: Option, text: str = "", score: int | None = None
) -> MatrixCell | None:
    """Set one matrix cell; an empty cell (no text, no score) is removed."""
    require_decision_writer(actor, criterion.decision_id)
    if criterion.decision_id != option.decision_id:
        raise ValidationError("A cell's criterion and option must belong to the same decision.")
    cell = MatrixCell.objects.filter(criterion=criterion, option=option).first()
    text = (text or "").strip()
    if not text and score is None:
        if cell is not None:
            _part_changes(criterion.decision_id, actor=actor, reason="cell cleared")
            tracked_delete(cell, actor=actor, reason="cell cleared")
        return None
    if cell is not None and cell.text == text and cell.score == score:
        return cell
    _part_changes(criterion.decision_id, actor=actor, reason="cell saved")
    cell = cell or MatrixCell(criterion=criterion, option=option)
    cell.text, cell.score = text, score
    cell.full_clean()
    tracked_save(cell, actor=actor, reason="cell saved")
    return cell


@transaction.atomic
def relation_add(
    *,
    actor: User,
    source: Decision,
    target: Decision,
    kind: str,
    note: str = "",
    enforce_lifecycle: bool = True,
    mark_superseded: bool = True,
) -> DecisionRelation:
    """Relate two decisions. `supersedes` marks the target superseded (unless
    `mark_superseded` is False: an import keeps the status its file states)."""
    require_decision_writer(actor, source)
    if source.pk == target.pk:
        raise ValidationError("A decision cannot relate to itself.")
    if kind not in DecisionRelation.Kind.values:
        raise ValidationError(f"Unknown relation {kind!r}.")
    relation = DecisionRelation.objects.filter(source=source, target=target, kind=kind).first()
    if relation is None:
        _part_changes(source, actor=actor, reason=f"{kind} added")
        relation = DecisionRelation(source=source, target=target, kind=kind, note=note)
        relation.full_clean()
        tracked_save(relation, actor=actor, reason=f"{kind} added")
    target.refresh_from_db(fields=["status"])  # callers may hold a stale copy
    if (
        mark_superseded
        and kind == DecisionRelation.Kind.SUPERSEDES
        and target.status != S.SUPERSEDED
    ):
        if enforce_lifecycle and target.status not in (S.ACCEPTED,):
            raise ValidationError(
                f"{target.reference} is {target.get_status_display().lower()}; "
                "only an accepted decision can be superseded."
            )
        decision_change_status(
            actor=actor,
            decision=target,
            status=S.SUPERSEDED,
            reason=f"superseded by {source.reference}",
            enforce_lifecycle=enforce_lifecycle,
        )
    return relation


@transaction.atomic
def relation_remove(*, actor: User, relation: DecisionRelation) -> None:
    require_decision_writer(actor, relation.source_id)
    _part_changes(relation.source_id, actor=actor, reason=f"{relation.kind} removed")
    tracked_delete(relation, actor=actor, reason=f"{relation.kind} removed")

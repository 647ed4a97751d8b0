"""The one path that writes a whole decision: its fields, status, tags, options,
criteria, matrix cells, sensitivity notes and relations, in one transaction.

The edit page, the API, the importer (adr.interop.apply) and the demo (adr.demo, which
goes through the importer) all call `decision_save_full`. Parts arrive as rows; a row
with an `id` edits that part, `delete` removes it, no `id` adds one. Unchanged parts
write nothing (no history row, no version bump).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from config import concurrency

from ..access import require_decision_writer, require_log_writer
from ..models import Criterion, Decision, DecisionLog, MatrixCell, Option, SensitivityNote
from .decisions import decision_create, decision_update
from .lifecycle import decision_change_status
from .parts import P, cell_set, part_delete, part_save, relation_add, relation_remove

if TYPE_CHECKING:
    from config.accounts.models import User

T = TypeVar("T")


@dataclass
class OptionRow:
    """An option as submitted: `id` None for a new one; `delete` removes an existing one."""

    fields: dict[str, Any]
    id: int | None = None
    delete: bool = False


@dataclass
class CriterionRow:
    fields: dict[str, Any]
    id: int | None = None
    delete: bool = False


@dataclass
class CellRow:
    """A matrix cell keyed by the *indexes* of its criterion and option rows, so rows
    added in the same submit get their cells in the same submit. No text and no score
    clears the cell."""

    criterion: int
    option: int
    text: str = ""
    score: int | None = None


@dataclass
class NoteRow:
    fields: dict[str, Any]
    favours: int | None = None  # index into the option rows
    id: int | None = None
    delete: bool = False


@dataclass
class RelationRow:
    target: Decision | None
    kind: str
    note: str = ""
    id: int | None = None
    delete: bool = False


@transaction.atomic
def decision_save_full(
    *,
    actor: User,
    decision: Decision | None,
    log: DecisionLog | None = None,
    fields: dict[str, Any],
    tags: Iterable[str] | None = None,
    options: Sequence[OptionRow] = (),
    criteria: Sequence[CriterionRow] = (),
    cells: Sequence[CellRow] = (),
    notes: Sequence[NoteRow] = (),
    relations: Sequence[RelationRow] = (),
    reason: str = "",
    expected_version: int | None = None,
    status: str | None = None,
    status_reason: str = "",
    number: int | None = None,
    enforce_lifecycle: bool = True,
) -> Decision:
    """Create or edit a decision with its options, criteria, matrix cells, sensitivity
    notes and relations in one transaction (the edit page's single submit).

    Each part goes through its own service, so every history row records the actor
    and a reason; unchanged parts write no history. Any ValidationError rolls back
    the whole submit. `expected_version` is the version the page loaded: another one
    raises ConflictError and nothing is written; a submit that changes anything
    bumps the version once.

    `status` (optional) moves the decision through its lifecycle first
    (`decision_change_status`; `enforce_lifecycle=False` for an import, which keeps the
    status its file states); a new decision is created in it. `number` asks a new
    decision for that number (imports).
    """
    if decision is None:
        require_log_writer(actor, log)
    else:
        require_decision_writer(actor, decision)
    fields = dict(fields)
    with concurrency.one_bump():
        if decision is None:
            if log is None:
                raise ValidationError({"log": "Choose the log this decision belongs to."})
            decision = decision_create(
                actor=actor,
                log=log,
                title=fields.pop("title", ""),
                number=number,
                tags=tags or (),
                reason=reason or "decision created",
                enforce_lifecycle=enforce_lifecycle,
                **({"status": status} if status else {}),
                **fields,
            )
            concurrency.mark_bumped(decision)  # created at version 1: its parts keep it there
        else:
            if status is not None:
                # Locks the row and checks the version the caller loaded.
                decision = decision_change_status(
                    actor=actor,
                    decision=decision,
                    status=status,
                    reason=status_reason or reason,
                    revisit_by=fields.get("revisit_by"),
                    enforce_lifecycle=enforce_lifecycle,
                    expected_version=expected_version,
                )
            # One editor at a time per decision: a second submit waits for the first to
            # commit, then finds the version moved on and is refused (nothing written).
            decision = decision_update(
                actor=actor,
                decision=decision,
                tags=tags,
                reason=reason or "edited",
                expected_version=expected_version if status is None else None,
                **fields,
            )
        saved_options = _save_options(actor, decision, options)
        saved_criteria = _save_criteria(actor, decision, criteria)
        _save_cells(actor, decision, cells, saved_criteria, saved_options)
        _save_notes(actor, decision, notes, saved_options)
        _save_relations(actor, decision, relations)
    return decision


def rows_by_position(
    decision: Decision | None,
    *,
    options: Sequence[dict[str, Any]] | None,
    criteria: Sequence[dict[str, Any]] | None,
    notes: Sequence[dict[str, Any]] | None,
) -> dict[str, list]:
    """Whole lists of parts (an imported file's, an API request's) as rows for
    `decision_save_full`, each matched with the part the decision has at that position:
    a list replaces what the decision has (extra parts are removed, matrix cells a
    criterion leaves out are cleared); `None` keeps that kind of part as it is.

    `criteria` items carry ``cells``: ``(option number from 1, score, text)``; `notes`
    items carry ``favours``: an option number from 1, or None. Unchanged parts write
    nothing."""
    have_options = list(decision.options.order_by("position", "id")) if decision else []
    have_criteria = list(decision.criteria.order_by("position", "id")) if decision else []
    have_notes = list(decision.sensitivity_notes.order_by("position", "id")) if decision else []

    def pk_at(objs: list, index: int) -> int | None:
        return objs[index].pk if index < len(objs) else None

    if options is None:  # kept, with their positions, so that cells and notes find them
        option_rows = [OptionRow(fields={"position": o.position}, id=o.pk) for o in have_options]
    else:
        option_rows = [
            OptionRow(fields=dict(fields), id=pk_at(have_options, i))
            for i, fields in enumerate(options)
        ]
        # Parts beyond the list go (after the kept rows: positions follow the rows).
        option_rows += [
            OptionRow(fields={}, id=o.pk, delete=True) for o in have_options[len(options) :]
        ]
    out: dict[str, list] = {"options": option_rows, "criteria": [], "cells": [], "notes": []}
    count = len(options) if options is not None else len(have_options)
    if criteria is not None:
        for i, item in enumerate(criteria):
            fields = {k: v for k, v in item.items() if k != "cells"}
            out["criteria"].append(CriterionRow(fields=fields, id=pk_at(have_criteria, i)))
            given = {option: (score, text) for option, score, text in item.get("cells", ())}
            for j in range(count):
                score, text = given.get(j + 1, (None, ""))
                out["cells"].append(CellRow(criterion=i, option=j, text=text, score=score))
        out["criteria"] += [
            CriterionRow(fields={}, id=c.pk, delete=True) for c in have_criteria[len(criteria) :]
        ]
    if notes is not None:
        for i, item in enumerate(notes):
            fields = {k: v for k, v in item.items() if k != "favours"}
            favours = item.get("favours")
            out["notes"].append(
                NoteRow(
                    fields=fields,
                    favours=favours - 1 if favours else None,
                    id=pk_at(have_notes, i),
                )
            )
        out["notes"] += [NoteRow(fields={}, id=n.pk, delete=True) for n in have_notes[len(notes) :]]
    return out


def _changed(obj: models.Model, fields: dict[str, Any]) -> bool:
    return obj.pk is None or any(getattr(obj, name) != value for name, value in fields.items())


def _existing(objects: dict[int, T], pk: int | None, what: str) -> T | None:
    if pk is None:
        return None
    try:
        return objects[pk]
    except KeyError:
        raise ValidationError(
            f"That {what} no longer belongs to this decision; reload the page."
        ) from None


def _save_rows(
    actor: User,
    decision: Decision,
    model: type[P],
    rows: Sequence[OptionRow | CriterionRow | NoteRow],
    existing: Iterable[P],
    extra: Callable[[int, Any], dict[str, Any]] | None = None,
) -> dict[int, P]:
    """Options, criteria or notes: position follows the order of the rows. Returns the
    parts kept, by row index. `extra(index, row)` adds fields (a note's `favours`)."""
    by_pk = {obj.pk: obj for obj in existing}
    what = str(model._meta.verbose_name)
    saved: dict[int, P] = {}
    order = list(enumerate(rows))
    if model is Option:
        # Unchoose first, so that choosing another option never meets the old choice.
        order.sort(key=lambda pair: bool(pair[1].fields.get("chosen")))
    for index, row in order:
        obj = _existing(by_pk, row.id, what)
        if row.delete:
            if obj is not None:
                part_delete(actor=actor, obj=obj)
            continue
        # Position follows the row's place, unless the row pins it (a part kept as is).
        values = {"position": index, **row.fields, **(extra(index, row) if extra else {})}
        if obj is None or _changed(obj, values):
            obj = part_save(actor=actor, decision=decision, model=model, obj=obj, **values)
        saved[index] = obj
    return saved


def _save_options(actor: User, decision: Decision, rows: Sequence[OptionRow]) -> dict[int, Option]:
    if len([r for r in rows if not r.delete and r.fields.get("chosen")]) > 1:
        raise ValidationError({"options": "Only one option can be the chosen one."})
    return _save_rows(actor, decision, Option, rows, decision.options.all())


def _save_criteria(
    actor: User, decision: Decision, rows: Sequence[CriterionRow]
) -> dict[int, Criterion]:
    return _save_rows(actor, decision, Criterion, rows, decision.criteria.all())


def _save_cells(
    actor: User,
    decision: Decision,
    rows: Sequence[CellRow],
    criteria: dict[int, Criterion],
    options: dict[int, Option],
) -> None:
    if not rows:
        return
    current = {
        (c.criterion_id, c.option_id): c
        for c in MatrixCell.objects.filter(criterion__decision=decision)
    }
    for row in rows:
        criterion = criteria.get(row.criterion)
        option = options.get(row.option)
        if criterion is None or option is None:
            continue  # the row or column was removed (or left blank) in this submit
        text = (row.text or "").strip()
        cell = current.get((criterion.pk, option.pk))
        if cell is None and not text and row.score is None:
            continue
        if cell is not None and cell.text == text and cell.score == row.score:
            continue
        cell_set(actor=actor, criterion=criterion, option=option, text=text, score=row.score)


def _save_notes(
    actor: User, decision: Decision, rows: Sequence[NoteRow], options: dict[int, Option]
) -> None:
    def favours(index: int, row: NoteRow) -> dict[str, Any]:
        return {"favours": options.get(row.favours) if row.favours is not None else None}

    existing = decision.sensitivity_notes.all()
    _save_rows(actor, decision, SensitivityNote, rows, existing, extra=favours)


def _save_relations(actor: User, decision: Decision, rows: Sequence[RelationRow]) -> None:
    existing = {r.pk: r for r in decision.relations_out.all()} if rows else {}
    for row in rows:
        relation = _existing(existing, row.id, "relation")
        if relation is not None:
            same = (
                relation.target_id == getattr(row.target, "pk", None)
                and relation.kind == row.kind
                and relation.note == row.note
            )
            if same and not row.delete:
                continue
            relation_remove(actor=actor, relation=relation)
        if row.delete or row.target is None:
            continue
        relation_add(actor=actor, source=decision, target=row.target, kind=row.kind, note=row.note)

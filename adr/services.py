"""Writes to the decision log. Every state change goes through a function here.

Functions are keyword-only, take the acting user, check permissions and rules,
run in a transaction and record actor + reason on the history rows they write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config import concurrency
from config.accounts.roles import ARCHITECT, require_role
from config.clock import ledger_today
from config.history import tracked_delete, tracked_save

from . import status_checks
from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
    Tag,
)

S = Decision.Status

# proposed → accepted | rejected | deferred; accepted → deprecated | superseded.
# A deferred decision is revisited: it may become proposed again, or be decided.
TRANSITIONS: dict[str, set[str]] = {
    S.PROPOSED: {S.ACCEPTED, S.REJECTED, S.DEFERRED},
    S.DEFERRED: {S.PROPOSED, S.ACCEPTED, S.REJECTED},
    S.ACCEPTED: {S.DEPRECATED, S.SUPERSEDED},
    S.REJECTED: set(),
    S.DEPRECATED: set(),
    S.SUPERSEDED: set(),
}

# Other apps add checks that count as "this deferral has a way back" (the triggers
# app registers "has an armed trigger"). Each takes the decision and returns bool.
DEFERRAL_ALTERNATIVES: list[Callable[[Decision], bool]] = []

# A decision's own content, in page order (the edit form, the API and the importer use
# this list; `status` and `needs_review` have their own services).
EDITABLE_FIELDS = (
    "title",
    "decided_on",
    "revisit_by",
    "deciders",
    "consulted",
    "informed",
    "context",
    "drivers",
    "outcome_rationale",
    "consequences_good",
    "consequences_bad",
    "consequences_neutral",
    "confirmation",
    "more_information",
    "source_path",
)
# Set by the importer, never by the edit form: the file a decision came from and how it
# said things (adr.interop writes both back on export).
SOURCE_FIELDS = ("source_file", "source_meta")


def deferral_is_backed(decision: Decision) -> bool:
    if decision.revisit_by:
        return True
    return decision.pk is not None and any(check(decision) for check in DEFERRAL_ALTERNATIVES)


def _require_deferral_backed(decision: Decision) -> None:
    if decision.status == S.DEFERRED and not deferral_is_backed(decision):
        raise ValidationError(
            {
                "status": "A deferred decision needs an armed trigger or a revisit-by date: "
                "a deferral without a trigger is procrastination."
            }
        )


def log_create(*, actor, key: str, name: str, description: str = "") -> DecisionLog:
    require_role(actor, ARCHITECT)
    log = DecisionLog(key=key.strip().upper(), name=name.strip(), description=description)
    log.full_clean()
    tracked_save(log, actor=actor, reason="log created")
    return log


@transaction.atomic
def log_update(
    *,
    actor,
    log: DecisionLog,
    name: str,
    description: str = "",
    expected_version: int | None = None,
) -> DecisionLog:
    """Rename a log. Writes only its name and description: the decision counter is the
    numbering's (incremented in the database), never written back from a copy."""
    require_role(actor, ARCHITECT)
    locked = concurrency.lock(log)
    concurrency.check_version(locked, expected_version)
    changed = concurrency.assign(locked, name=name.strip(), description=description)
    if changed:
        locked.full_clean()
        concurrency.save_changed(locked, fields=changed, actor=actor, reason="log edited")
    return locked


def _next_number(log: DecisionLog, wanted: int | None = None) -> int:
    """Gap-free, concurrency-safe numbering.

    The UPDATE takes the row lock first (PostgreSQL: a second transaction waits
    until the first commits, then sees its number; SQLite: writers are serialised),
    so two architects creating at once never get the same number. `last_number` is
    a counter outside history, hence the plain UPDATE.
    """
    if wanted is None:
        DecisionLog.objects.filter(pk=log.pk).update(last_number=F("last_number") + 1)
    else:
        DecisionLog.objects.filter(pk=log.pk, last_number__lt=wanted).update(last_number=wanted)
        return wanted
    log.last_number = DecisionLog.objects.values_list("last_number", flat=True).get(pk=log.pk)
    return log.last_number


def _set_tags(
    decision: Decision, tags: Iterable[str], before_change: Callable[[], Any] | None = None
) -> None:
    """Set the decision's tags; `before_change` runs first if they change (e.g. the
    version bump, so that the tags' history row carries the new version)."""
    names = sorted({t.strip().lower().replace(" ", "-") for t in tags if t and t.strip()})
    objs = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(name=name[:50])
        objs.append(tag)
    current = set(decision.tags.values_list("name", flat=True))
    if current != set(names):
        if before_change is not None:
            before_change()
        decision.tags.set(objs)


def parse_tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.replace(";", ",").split(",")) if t]


@transaction.atomic
def decision_create(
    *,
    actor,
    log: DecisionLog,
    title: str,
    status: str = S.PROPOSED,
    number: int | None = None,
    tags: Iterable[str] = (),
    reason: str = "decision created",
    **fields: Any,
) -> Decision:
    """Create a decision with the next number in its log (or `number`, for imports)."""
    require_role(actor, ARCHITECT)
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown decision fields: {sorted(unknown)}")
    decision = Decision(log=log, title=title.strip(), status=status, created_by=actor, **fields)
    if status not in S.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if number is not None and Decision.objects.filter(log=log, number=number).exists():
        raise ValidationError({"number": f"{log.key}-{number:04d} already exists."})
    _require_deferral_backed(decision)
    decision.number = _next_number(log, number)
    decision.full_clean()
    tracked_save(decision, actor=actor, reason=reason)
    if tags:
        _set_tags(decision, tags)
    return decision


@transaction.atomic
def decision_update(
    *,
    actor,
    decision: Decision,
    tags: Iterable[str] | None = None,
    reason: str = "edited",
    expected_version: int | None = None,
    **fields: Any,
) -> Decision:
    """Edit a decision's content (not its status: see `decision_change_status`).

    Works on the locked row and writes only the fields that change, so the "needs
    review" flag (decision_flag_review) set after the editor loaded the page survives.
    Returns the locked row (the caller's copy may be stale)."""
    require_role(actor, ARCHITECT)
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown decision fields: {sorted(unknown)}")
    with concurrency.one_bump():
        locked = concurrency.lock(decision)
        concurrency.check_version(locked, expected_version)
        changed = concurrency.assign(locked, **fields)
        _require_deferral_backed(locked)
        if changed:
            locked.updated_at = timezone.now()
            locked.full_clean()
            concurrency.save_changed(
                locked, fields=[*changed, "updated_at"], actor=actor, reason=reason
            )
        if tags is not None:
            _set_tags(
                locked,
                tags,
                before_change=lambda: concurrency.touch(
                    locked, actor=actor, reason=reason, locked=True
                ),
            )
    decision.version = locked.version
    return locked


@transaction.atomic
def decision_change_status(
    *,
    actor,
    decision: Decision,
    status: str,
    reason: str = "",
    revisit_by: date | None = None,
    enforce_lifecycle: bool = True,
    expected_version: int | None = None,
) -> Decision:
    """The only way a decision's status changes. Raises ValidationError with a clear message."""
    require_role(actor, ARCHITECT)
    decision = concurrency.lock(decision)
    concurrency.check_version(decision, expected_version)
    if status not in S.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == decision.status:
        return decision
    if enforce_lifecycle and status not in TRANSITIONS[decision.status]:
        allowed = ", ".join(sorted(TRANSITIONS[decision.status])) or "none"
        raise ValidationError(
            {
                "status": f"A {decision.get_status_display().lower()} decision cannot become "
                f"{S(status).label.lower()} (allowed: {allowed})."
            }
        )
    if enforce_lifecycle:
        refused = status_checks.refusals(decision=decision, status=status, actor=actor)
        if refused:
            raise ValidationError({"status": refused})
    changed = ["status", "updated_at"]
    if revisit_by is not None:
        changed += concurrency.assign(decision, revisit_by=revisit_by)
    decision.status = status
    _require_deferral_backed(decision)
    if status in (S.ACCEPTED, S.REJECTED) and decision.decided_on is None:
        decision.decided_on = ledger_today()
        changed.append("decided_on")
    decision.updated_at = timezone.now()
    decision.full_clean()
    concurrency.save_changed(
        decision,
        fields=changed,
        actor=actor,
        reason=reason or f"status → {decision.get_status_display().lower()}",
    )
    return decision


@transaction.atomic
def decision_flag_review(*, decision: Decision, reason: str, actor=None) -> Decision:
    """Mark a decision 'needs review' (used when a trigger it rests on fires)."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.needs_review and decision.needs_review_reason == reason[:300]:
        return decision
    decision.needs_review = True
    decision.needs_review_reason = reason[:300]
    tracked_save(
        decision,
        actor=actor,
        reason="flagged for review",
        update_fields=["needs_review", "needs_review_reason"],
    )
    return decision


@transaction.atomic
def decision_clear_review(*, actor, decision: Decision, reason: str = "reviewed") -> Decision:
    require_role(actor, ARCHITECT)
    decision = concurrency.lock(decision)
    decision.needs_review = False
    decision.needs_review_reason = ""
    tracked_save(
        decision, actor=actor, reason=reason, update_fields=["needs_review", "needs_review_reason"]
    )
    return decision


# --- Options, matrix, sensitivity notes --------------------------------------------


def _part_changes(decision: Decision | int, *, actor, reason: str) -> None:
    """A part of the decision is about to change: lock the decision first (one lock
    order for every writer: decision, then its parts) and bump its version, so an edit
    page loaded before this sees a conflict instead of writing the part back."""
    if not isinstance(decision, Decision):
        decision = Decision(pk=decision)
    concurrency.touch(decision, actor=actor, reason=reason)


def _check_same_decision(decision: Decision, *objs) -> None:
    for obj in objs:
        if obj is not None and obj.decision_id != decision.pk:
            raise ValidationError(f"{obj} does not belong to {decision.reference}.")


@transaction.atomic
def option_save(
    *, actor, decision: Decision, option: Option | None = None, **fields: Any
) -> Option:
    require_role(actor, ARCHITECT)
    option = option or Option(decision=decision)
    _check_same_decision(decision, option)
    _part_changes(decision, actor=actor, reason="option saved")
    if option.pk:
        option = concurrency.lock(option)  # write from the row as it is now
    for name, value in fields.items():
        setattr(option, name, value)
    if option.chosen:
        for other in decision.options.filter(chosen=True).exclude(pk=option.pk):
            other.chosen = False
            tracked_save(
                other, actor=actor, reason="another option chosen", update_fields=["chosen"]
            )
    option.full_clean()
    tracked_save(option, actor=actor, reason="option saved")
    return option


@transaction.atomic
def option_delete(*, actor, option: Option) -> None:
    require_role(actor, ARCHITECT)
    _part_changes(option.decision_id, actor=actor, reason="option removed")
    for cell in option.cells.all():
        tracked_delete(cell, actor=actor, reason="option removed")
    tracked_delete(option, actor=actor, reason="option removed")


@transaction.atomic
def criterion_save(
    *, actor, decision: Decision, criterion: Criterion | None = None, **fields: Any
) -> Criterion:
    require_role(actor, ARCHITECT)
    criterion = criterion or Criterion(decision=decision)
    _check_same_decision(decision, criterion)
    _part_changes(decision, actor=actor, reason="criterion saved")
    if criterion.pk:
        criterion = concurrency.lock(criterion)  # write from the row as it is now
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    tracked_save(criterion, actor=actor, reason="criterion saved")
    return criterion


@transaction.atomic
def criterion_delete(*, actor, criterion: Criterion) -> None:
    require_role(actor, ARCHITECT)
    _part_changes(criterion.decision_id, actor=actor, reason="criterion removed")
    for cell in criterion.cells.all():
        tracked_delete(cell, actor=actor, reason="criterion removed")
    tracked_delete(criterion, actor=actor, reason="criterion removed")


@transaction.atomic
def cell_set(
    *, actor, criterion: Criterion, option: Option, text: str = "", score: int | None = None
) -> MatrixCell | None:
    """Set one matrix cell; an empty cell (no text, no score) is removed."""
    require_role(actor, ARCHITECT)
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
def sensitivity_note_save(
    *, actor, decision: Decision, note: SensitivityNote | None = None, **fields: Any
) -> SensitivityNote:
    require_role(actor, ARCHITECT)
    note = note or SensitivityNote(decision=decision)
    _check_same_decision(decision, note)
    _part_changes(decision, actor=actor, reason="sensitivity note saved")
    if note.pk:
        note = concurrency.lock(note)  # write from the row as it is now
    for name, value in fields.items():
        setattr(note, name, value)
    if note.favours is not None:
        _check_same_decision(decision, note.favours)
    note.full_clean()
    tracked_save(note, actor=actor, reason="sensitivity note saved")
    return note


@transaction.atomic
def sensitivity_note_delete(*, actor, note: SensitivityNote) -> None:
    require_role(actor, ARCHITECT)
    _part_changes(note.decision_id, actor=actor, reason="sensitivity note removed")
    tracked_delete(note, actor=actor, reason="sensitivity note removed")


# --- Relations ---------------------------------------------------------------------


@transaction.atomic
def relation_add(
    *,
    actor,
    source: Decision,
    target: Decision,
    kind: str,
    note: str = "",
    enforce_lifecycle: bool = True,
    mark_superseded: bool = True,
) -> DecisionRelation:
    """Relate two decisions. `supersedes` marks the target superseded (unless
    `mark_superseded` is False: an import keeps the status its file states)."""
    require_role(actor, ARCHITECT)
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
def relation_remove(*, actor, relation: DecisionRelation) -> None:
    require_role(actor, ARCHITECT)
    _part_changes(relation.source_id, actor=actor, reason=f"{relation.kind} removed")
    tracked_delete(relation, actor=actor, reason=f"{relation.kind} removed")


# --- The edit page: one atomic save of a decision and all its parts -----------------


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
    added in the same submit get their cells in the same submit."""

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


def _changed(obj, fields: dict[str, Any]) -> bool:
    return obj.pk is None or any(getattr(obj, name) != value for name, value in fields.items())


@transaction.atomic
def decision_save_full(
    *,
    actor,
    decision: Decision | None,
    log: DecisionLog | None = None,
    fields: dict[str, Any],
    tags: Iterable[str] | None = None,
    options: list[OptionRow] = (),  # type: ignore[assignment]
    criteria: list[CriterionRow] = (),  # type: ignore[assignment]
    cells: list[CellRow] = (),  # type: ignore[assignment]
    notes: list[NoteRow] = (),  # type: ignore[assignment]
    relations: list[RelationRow] = (),  # type: ignore[assignment]
    reason: str = "",
    expected_version: int | None = None,
) -> Decision:
    """Create or edit a decision with its options, criteria, matrix cells, sensitivity
    notes and relations in one transaction (the edit page's single submit).

    Each part goes through its own service, so every history row records the actor
    and a reason; unchanged parts write no history. Any ValidationError rolls back
    the whole submit. `expected_version` is the version the page loaded: another one
    raises ConflictError and nothing is written; a submit that changes anything
    bumps the version once.
    """
    require_role(actor, ARCHITECT)
    with concurrency.one_bump():
        return _save_full(
            actor=actor,
            decision=decision,
            log=log,
            fields=dict(fields),
            tags=tags,
            options=options,
            criteria=criteria,
            cells=cells,
            notes=notes,
            relations=relations,
            reason=reason,
            expected_version=expected_version,
        )


def _save_full(
    *,
    actor,
    decision: Decision | None,
    log: DecisionLog | None,
    fields: dict[str, Any],
    tags: Iterable[str] | None,
    options: list[OptionRow],
    criteria: list[CriterionRow],
    cells: list[CellRow],
    notes: list[NoteRow],
    relations: list[RelationRow],
    reason: str,
    expected_version: int | None,
) -> Decision:
    if decision is None:
        if log is None:
            raise ValidationError({"log": "Choose the log this decision belongs to."})
        title = fields.pop("title", "")
        decision = decision_create(
            actor=actor,
            log=log,
            title=title,
            tags=tags or (),
            reason=reason or "decision created",
            **fields,
        )
        concurrency.mark_bumped(decision)  # created at version 1: its parts keep it there
    else:
        # One editor at a time per decision: a second submit waits for the first to
        # commit, then finds the version moved on and is refused (nothing written).
        decision = decision_update(
            actor=actor,
            decision=decision,
            tags=tags,
            reason=reason or "edited",
            expected_version=expected_version,
            **fields,
        )

    # Options: position follows the order of the rows kept.
    chosen_rows = [r for r in options if not r.delete and r.fields.get("chosen")]
    if len(chosen_rows) > 1:
        raise ValidationError({"options": "Only one option can be the chosen one."})
    existing_options = {o.pk: o for o in decision.options.all()}
    saved_options: dict[int, Option] = {}
    # Unchoose first, so that choosing another option never meets the old choice.
    ordered = sorted(enumerate(options), key=lambda pair: bool(pair[1].fields.get("chosen")))
    for index, row in ordered:
        option = _existing(existing_options, row.id, "option")
        if row.delete:
            if option is not None:
                option_delete(actor=actor, option=option)
            continue
        values = {**row.fields, "position": index}
        if option is None or _changed(option, values):
            option = option_save(actor=actor, decision=decision, option=option, **values)
        saved_options[index] = option

    existing_criteria = {c.pk: c for c in decision.criteria.all()}
    saved_criteria: dict[int, Criterion] = {}
    for index, row in enumerate(criteria):
        criterion = _existing(existing_criteria, row.id, "criterion")
        if row.delete:
            if criterion is not None:
                criterion_delete(actor=actor, criterion=criterion)
            continue
        values = {**row.fields, "position": index}
        if criterion is None or _changed(criterion, values):
            criterion = criterion_save(
                actor=actor, decision=decision, criterion=criterion, **values
            )
        saved_criteria[index] = criterion

    current_cells = {
        (c.criterion_id, c.option_id): c
        for c in MatrixCell.objects.filter(criterion__decision=decision)
    }
    for row in cells:
        criterion = saved_criteria.get(row.criterion)
        option = saved_options.get(row.option)
        if criterion is None or option is None:
            continue  # the row or column was removed (or left blank) in this submit
        text = (row.text or "").strip()
        cell = current_cells.get((criterion.pk, option.pk))
        if cell is None and not text and row.score is None:
            continue
        if cell is not None and cell.text == text and cell.score == row.score:
            continue
        cell_set(actor=actor, criterion=criterion, option=option, text=text, score=row.score)

    existing_notes = {n.pk: n for n in decision.sensitivity_notes.all()}
    for index, row in enumerate(notes):
        note = _existing(existing_notes, row.id, "sensitivity note")
        if row.delete:
            if note is not None:
                sensitivity_note_delete(actor=actor, note=note)
            continue
        favours = saved_options.get(row.favours) if row.favours is not None else None
        values = {**row.fields, "position": index, "favours": favours}
        if note is None or _changed(note, values):
            sensitivity_note_save(actor=actor, decision=decision, note=note, **values)

    existing_relations = {r.pk: r for r in decision.relations_out.all()}
    for row in relations:
        relation = _existing(existing_relations, row.id, "relation")
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
    return decision


def _existing(objects: dict[int, Any], pk: int | None, what: str):
    if pk is None:
        return None
    try:
        return objects[pk]
    except KeyError:
        raise ValidationError(
            f"That {what} no longer belongs to this decision; reload the page."
        ) from None

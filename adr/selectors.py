"""Reads of the decision log, with the queries each page needs and no more."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet

from config.accounts.roles import require_reader
from config.history import FieldChange, HistoryEntry, history_entries
from config.panels import with_prefetches

from .access import can_read_log, readable_decisions, readable_log_q, readable_logs
from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)
from .panels import DECISION_RELATED, SENSITIVITY_NOTE_BADGES
from .search import decision_search

if TYPE_CHECKING:
    from config.accounts.models import User


def log_list(*, user: User) -> QuerySet[DecisionLog]:
    require_reader(user)
    return (
        readable_logs(user)
        .annotate(
            decision_count=Count("decisions"),
            deferred_count=Count("decisions", filter=Q(decisions__status=Decision.Status.DEFERRED)),
            review_count=Count("decisions", filter=Q(decisions__needs_review=True)),
        )
        .order_by("name")
    )


def log_get(*, user: User, key: str) -> DecisionLog:
    require_reader(user)
    return readable_logs(user).get(key=key.upper())


# The columns decision lists show (adr/_decision_table.html).
LIST_FIELDS = (
    "log__key",
    "log__name",
    "number",
    "title",
    "status",
    "needs_review",
    "revisit_by",
    "updated_at",
)


def decision_list(
    *,
    user: User,
    log_key: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    needs_review: bool | None = None,
) -> QuerySet[Decision]:
    require_reader(user)
    qs = (
        readable_decisions(user)
        .select_related("log")
        .prefetch_related("tags")
        # Only what a list shows: the Markdown and HTML bodies stay in the table.
        .only(*LIST_FIELDS)
    )
    return decision_filter(
        qs, log_key=log_key, status=status, tag=tag, q=q, needs_review=needs_review
    )


def decision_filter(
    qs: QuerySet[Decision],
    *,
    log_key: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    needs_review: bool | None = None,
) -> QuerySet[Decision]:
    """The decision list's filters and search, in its order (newest first per log; by
    relevance with `q`). The list page and the API's decision list both use this."""
    if log_key:
        qs = qs.filter(log__key=log_key.upper())
    if status:
        qs = qs.filter(status=status)
    if tag:
        # A subquery, not a join: the outer query stays free of DISTINCT.
        tagged = Decision.tags.through.objects.filter(tag__name=tag).values("decision")
        qs = qs.filter(pk__in=tagged)
    if needs_review is not None:
        qs = qs.filter(needs_review=needs_review)
    if q:
        return decision_search(qs, query=q)
    if log_key:
        # One log, newest first: the unique index (log_id, number) read backwards.
        return qs.order_by("-number")
    # Most recently changed first: the index decision_recent, read for one page only
    # (ordering by the log's key would sort every decision first).
    return qs.order_by("-updated_at", "-id")


def decision_get_brief(*, user: User, key: str, number: int) -> Decision:
    """A decision with what its page header shows (log, tags): for the History tab."""
    require_reader(user)
    return (
        readable_decisions(user)
        .select_related("log")
        .prefetch_related("tags")
        .get(log__key=key.upper(), number=number)
    )


def decision_get(*, user: User, key: str, number: int) -> Decision:
    """One decision with everything its detail page shows, in a fixed number of queries."""
    require_reader(user)
    # What later apps show on the page (risk acceptances, triggers): their panels'
    # prefetches, so the page's query count stays fixed (adr/panels.py).
    notes = with_prefetches(
        SensitivityNote.objects.select_related("favours"), SENSITIVITY_NOTE_BADGES
    )
    decisions = with_prefetches(
        readable_decisions(user).select_related("log", "created_by"), DECISION_RELATED
    )
    return decisions.prefetch_related(
        "tags",
        Prefetch("options", queryset=Option.objects.order_by("position", "id")),
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id")),
        Prefetch("sensitivity_notes", queryset=notes),
        # Relations to decisions in logs the user may not read are left out (adr.access).
        Prefetch(
            "relations_out",
            queryset=DecisionRelation.objects.filter(
                readable_log_q(user, prefix="target__log__")
            ).select_related("target__log"),
        ),
        Prefetch(
            "relations_in",
            queryset=DecisionRelation.objects.filter(
                readable_log_q(user, prefix="source__log__")
            ).select_related("source__log"),
        ),
    ).get(log__key=key.upper(), number=number)


@dataclass
class MatrixRow:
    criterion: Criterion
    cells: list[MatrixCell | None]


@dataclass
class Matrix:
    options: list[Option]
    rows: list[MatrixRow]
    totals: list[Decimal | None] = field(default_factory=list)
    top_options: list[Option] = field(default_factory=list)
    chosen: Option | None = None

    @property
    def has_scores(self) -> bool:
        return any(total is not None for total in self.totals)

    @property
    def chosen_is_not_top(self) -> bool:
        """Judgment may overrule the matrix, but the page should say so."""
        return bool(self.chosen and self.top_options and self.chosen not in self.top_options)


def decision_matrix(decision: Decision) -> Matrix:
    """The matrix as a grid with weighted totals. Uses the decision's prefetched
    options and criteria, plus one query for the cells."""
    options = list(decision.options.all())
    criteria = list(decision.criteria.all())
    cells = MatrixCell.objects.filter(criterion__decision=decision)
    by_pair = {(c.criterion_id, c.option_id): c for c in cells}
    rows = [
        MatrixRow(criterion=crit, cells=[by_pair.get((crit.pk, opt.pk)) for opt in options])
        for crit in criteria
    ]
    totals: list[Decimal | None] = []
    for index, _opt in enumerate(options):
        scored = [
            (row.criterion.weight, cell.score)
            for row in rows
            if (cell := row.cells[index]) is not None and cell.score is not None
        ]
        totals.append(sum((w * s for w, s in scored), Decimal(0)) if scored else None)
    top: list[Option] = []
    numeric = [t for t in totals if t is not None]
    if numeric:
        best = max(numeric)
        top = [opt for opt, t in zip(options, totals, strict=True) if t == best]
    chosen = next((o for o in options if o.chosen), None)
    return Matrix(options=options, rows=rows, totals=totals, top_options=top, chosen=chosen)


def log_history(*, user: User, log: DecisionLog) -> list[HistoryEntry]:
    """Every change to the log itself (name, description), newest first."""
    require_reader(user)
    records = DecisionLog.history.filter(id=log.pk).select_related("history_user")
    return history_entries(
        records.order_by("-history_date", "-history_id"),
        long_text_fields=("description",),
        label=lambda r: f"Log {r.key}",
    )


def decision_history(*, user: User, decision: Decision) -> list[HistoryEntry]:
    """Every change to the decision and its parts, newest first, with readable diffs.

    A fixed number of queries (one per tracked model, plus one for tag names and one
    for related decisions), whatever the number of rows or edits.
    """
    require_reader(user)
    long_text = tuple(Decision.MARKDOWN_FIELDS) + ("drivers",)

    def fetch(model: type[models.Model], **filters: Any) -> list[Any]:
        return list(
            model.history.filter(**filters)  # type: ignore[attr-defined]  # simple-history's
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )

    d = decision.pk
    options = fetch(Option, decision_id=d)
    criteria = fetch(Criterion, decision_id=d)
    # Cells of criteria that may since have been deleted: go through criterion history.
    cells = fetch(MatrixCell, criterion_id__in={r.id for r in criteria})
    notes = fetch(SensitivityNote, decision_id=d)
    relations = fetch(DecisionRelation, source_id=d)
    # Names as last recorded (newest first, so the first seen wins), deleted rows included.
    option_title: dict[int, str] = {}
    for r in options:
        option_title.setdefault(r.id, r.title)
    criterion_name: dict[int, str] = {}
    for r in criteria:
        criterion_name.setdefault(r.id, r.name)
    targets = {
        t.pk: t
        for t in Decision.objects.filter(pk__in={r.target_id for r in relations}).select_related(
            "log"
        )
    }
    # Relations to decisions in logs the user may not read are left out (adr.access).
    relations = [
        r
        for r in relations
        if r.target_id not in targets or can_read_log(user, targets[r.target_id].log)
    ]

    def cell_label(r: Any) -> str:  # a historical record
        crit = criterion_name.get(r.criterion_id, "?")
        opt = option_title.get(r.option_id, "?")
        return f"Matrix cell “{crit}” × “{opt}”"

    def relation_label(r: Any) -> str:  # a historical record
        target = targets.get(r.target_id)
        ref = target.reference if target else f"#{r.target_id}"
        return f"Relation: {DecisionRelation.Kind(r.kind).label.lower()} {ref}"

    groups = [
        # Tags are diffed below in one query; simple-history's own m2m diff costs two
        # queries per record.
        history_entries(
            fetch(Decision, id=d),
            long_text_fields=long_text,
            label=lambda r: "Decision",
            excluded_fields=("tags",),
        ),
        history_entries(
            options,
            long_text_fields=("description", "findings", "good", "neutral", "bad"),
            label=lambda r: f"Option “{r.title}”",
        ),
        history_entries(criteria, label=lambda r: f"Criterion “{r.name}”"),
        history_entries(cells, label=cell_label),
        history_entries(notes, label=lambda r: f"Sensitivity note “{r.condition}”"),
        history_entries(relations, label=relation_label),
    ]
    _name_tags(groups[0])
    _readable_values(groups, option_title)
    return sorted(chain.from_iterable(groups), key=lambda e: e.when, reverse=True)


def _readable_values(groups: list[list[HistoryEntry]], option_title: dict[int, str]) -> None:
    """Show choice labels and option titles rather than stored codes and ids."""
    statuses = dict(Decision.Status.choices)
    kinds = dict(DecisionRelation.Kind.choices)
    for entry in chain.from_iterable(groups):
        for change in entry.changes:
            if change.field == "status":
                change.old = statuses.get(change.old, change.old)
                change.new = statuses.get(change.new, change.new)
            elif change.field == "kind":
                change.old = kinds.get(change.old, change.old)
                change.new = kinds.get(change.new, change.new)
            elif change.field == "favours":
                change.old = option_title.get(change.old, change.old)
                change.new = option_title.get(change.new, change.new)


def _name_tags(entries: list[HistoryEntry]) -> None:
    """Add a "Tags" change to each decision entry whose tag set differs from the one
    before, from one query over the historical through table."""
    if not entries:
        return
    # simple-history's copy of the tags through table, one row per (history record, tag).
    through = apps.get_model("adr", "HistoricalDecision_tags")
    by_record: dict[int, list[str]] = defaultdict(list)
    rows = through.objects.filter(
        history_id__in=[e.record.history_id for e in entries]
    ).values_list("history_id", "tag__name")
    for history_id, name in rows:
        by_record[history_id].append(name)
    previous = None
    for entry in reversed(entries):  # oldest first
        tags = sorted(by_record.get(entry.record.history_id, []))
        if previous is not None and entry.kind == "changed" and tags != previous:
            entry.changes.append(FieldChange("tags", "Tags", previous, tags))
        previous = tags

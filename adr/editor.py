"""The decision edit page as one object: the decision form, four row formsets and the
matrix grid, validated together and turned into one `decision_save_full` call.

Rows are added and removed in the browser (adr/static/adr/editor.js) from each
formset's empty form; the server sees a plain formset post. Matrix cells are named
`cell-<criterion row>-<option row>-text|score`, keyed by the formset indexes, so a
criterion and an option added in the same submit get their cells in the same submit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from config.errors import add_to_form

from . import services
from .forms import (
    CRITERION_FIELDS,
    OPTION_FIELDS,
    CriterionFormSet,
    DecisionForm,
    NoteFormSet,
    OptionFormSet,
    RelationFormSet,
)
from .models import Decision, DecisionLog, DecisionRelation, MatrixCell

SCORES = [str(s) for s in range(MatrixCell.SCORE_MIN, MatrixCell.SCORE_MAX + 1)]


@dataclass
class CellInput:
    criterion: int
    option: int
    text: str
    score: str
    error: str = ""


@dataclass
class MatrixRowInput:
    index: int
    form: forms.Form
    cells: list[CellInput]


class DecisionEditor:
    """The whole edit page (see the module docstring)."""

    scores = SCORES
    # Column heads of the row tables, in the forms' field order (adr/editor/rows_table.html).
    heads = {
        "criteria": ("Name", "Description", "Weight"),
        "notes": ("If…", "then…", "Favours"),
        "relations": ("This decision…", "Other decision", "Note"),
    }

    def __init__(
        self,
        *,
        decision: Decision | None,
        data=None,
        log: DecisionLog | None = None,
        user=None,
    ):
        self.decision = decision
        self.data = data
        creating = decision is None
        initial = {}
        if creating and log is not None:
            initial["log"] = log.key
        if decision is not None:
            initial["tags"] = ", ".join(t.name for t in decision.tags.all())
        # A copy: the form writes cleaned values onto its instance, and the service must
        # still see the stored values to know what changed.
        self.form = DecisionForm(
            data,
            instance=copy.copy(decision) if decision else Decision(),
            creating=creating,
            initial=initial,
        )
        if creating and user is not None:
            self.form.limit_logs(user)
        options = list(decision.options.all()) if decision else []
        criteria = list(decision.criteria.all()) if decision else []
        notes = list(decision.sensitivity_notes.all()) if decision else []
        relations = list(decision.relations_out.all()) if decision else []
        self.options = OptionFormSet(
            data,
            prefix="options",
            initial=[{"id": o.pk, **{f: getattr(o, f) for f in OPTION_FIELDS}} for o in options],
        )
        self.criteria = CriterionFormSet(
            data,
            prefix="criteria",
            initial=[
                {"id": c.pk, "name": c.name, "description": c.description, "weight": c.weight}
                for c in criteria
            ],
        )
        # Keyed as a note's favours_id is typed: a note favouring no option finds none.
        option_index: dict[int | None, int] = {o.pk: i for i, o in enumerate(options)}
        self.notes = NoteFormSet(
            data,
            prefix="notes",
            initial=[
                {
                    "id": n.pk,
                    "condition": n.condition,
                    "consequence": n.consequence,
                    "favours": option_index.get(n.favours_id),
                }
                for n in notes
            ],
        )
        favour_choices = [("", "—")] + [
            (str(i), self._option_label(i, form)) for i, form in enumerate(self.options.forms)
        ]
        for form in self.notes.forms:
            form.fields["favours"].choices = favour_choices
        self.relations = RelationFormSet(
            data,
            prefix="relations",
            form_kwargs={"source": decision},
            initial=[
                {"id": r.pk, "kind": r.kind, "target": r.target.reference, "note": r.note}
                for r in relations
            ],
        )
        existing_cells = {}
        if decision is not None:
            by_pair = {
                (c.criterion_id, c.option_id): c
                for c in MatrixCell.objects.filter(criterion__decision=decision)
            }
            for ci, crit in enumerate(criteria):
                for oi, opt in enumerate(options):
                    cell = by_pair.get((crit.pk, opt.pk))
                    if cell is not None:
                        existing_cells[(ci, oi)] = cell
        self.matrix = []
        for ci, cform in enumerate(self.criteria.forms):
            cells = []
            for oi in range(len(self.options.forms)):
                if data is not None:
                    text = data.get(f"cell-{ci}-{oi}-text", "")
                    score = data.get(f"cell-{ci}-{oi}-score", "")
                else:
                    cell = existing_cells.get((ci, oi))
                    text = cell.text if cell else ""
                    score = "" if cell is None or cell.score is None else str(cell.score)
                cells.append(CellInput(ci, oi, text, score))
            self.matrix.append(MatrixRowInput(ci, cform, cells))
        self.cell_errors = 0

    def add_error(self, error: ValidationError) -> None:
        """A service's refusal, shown with the decision form's errors."""
        add_to_form(self.form, error)

    @property
    def has_errors(self) -> bool:
        formsets = (self.options, self.criteria, self.notes, self.relations)
        return bool(
            self.form.errors or self.cell_errors or any(f.non_form_errors() for f in formsets)
        )

    @property
    def row_templates(self) -> dict[str, forms.Form]:
        """Each formset's empty form: the rows the editor script adds in place."""
        return {
            name: getattr(self, name).empty_form
            for name in ("options", "criteria", "notes", "relations")
        }

    @staticmethod
    def _option_label(index: int, form) -> str:
        title = form.initial.get("title") or ""
        if form.is_bound:
            title = form.data.get(form.add_prefix("title"), title) or ""
        return f"Option {index + 1}: {title}" if title else f"Option {index + 1}"

    def is_valid(self) -> bool:
        valid = all(
            [
                self.form.is_valid(),
                self.options.is_valid(),
                self.criteria.is_valid(),
                self.notes.is_valid(),
                self.relations.is_valid(),
            ]
        )
        self.cell_rows = self._clean_cells()
        if valid:
            self._check_orphan_cells()
        return valid and not self.cell_errors

    def _check_orphan_cells(self) -> None:
        """A cell typed under a blank option or beside a blank criterion would be lost."""
        # Cells of rows being deleted go with them; only blank rows are a mistake.
        kept_options = {i for i, _f, _d in self.options.rows()}
        kept_criteria = {i for i, _f, _d in self.criteria.rows()}
        for row in self.matrix:
            for cell in row.cells:
                filled = (cell.text or "").strip() or (cell.score or "").strip()
                if not filled or cell.error:
                    continue
                if cell.option not in kept_options:
                    cell.error = (
                        f"Option {cell.option + 1} has no title: give it one or clear this cell."
                    )
                elif cell.criterion not in kept_criteria:
                    cell.error = (
                        f"Criterion {cell.criterion + 1} has no name: name it or clear this cell."
                    )
                if cell.error:
                    self.cell_errors += 1

    def _clean_cells(self) -> list[services.CellRow]:
        self.cell_errors = 0
        rows = []
        for row in self.matrix:
            for cell in row.cells:
                text = (cell.text or "").strip()
                score = None
                if len(text) > 500:
                    cell.error = "At most 500 characters."
                elif "\x00" in text or "\x00" in (cell.score or ""):
                    cell.error = "Null characters are not allowed."
                elif (cell.score or "").strip():
                    try:
                        score = int(cell.score)
                    except ValueError:
                        cell.error = "The score must be a whole number from 0 to 5."
                    else:
                        if not MatrixCell.SCORE_MIN <= score <= MatrixCell.SCORE_MAX:
                            cell.error = "The score must be from 0 to 5."
                if cell.error:
                    self.cell_errors += 1
                    continue
                rows.append(services.CellRow(cell.criterion, cell.option, text, score))
        return rows

    def service_kwargs(self) -> dict:
        """The cleaned submit as `services.decision_save_full` arguments."""
        data = self.form.cleaned_data
        # Form index → position among the forms that hold data (the service's rows).
        option_at = self._positions(self.options)
        criterion_at = self._positions(self.criteria)

        def pk(form):
            return form.cleaned_data.get("id") or None

        def fields(form, names, delete: bool) -> dict:
            return {} if delete else {name: form.cleaned_data[name] for name in names}

        return {
            "log": data.get("log"),
            "fields": self.form.decision_fields(),
            "tags": services.parse_tags(data.get("tags") or ""),
            "reason": data.get("reason") or "",
            "options": [
                services.OptionRow(id=pk(f), delete=delete, fields=fields(f, OPTION_FIELDS, delete))
                for _i, f, delete in self.options.rows()
            ],
            "criteria": [
                services.CriterionRow(
                    id=pk(f), delete=delete, fields=fields(f, CRITERION_FIELDS, delete)
                )
                for _i, f, delete in self.criteria.rows()
            ],
            # Cells refer to row indexes; the service ignores those of blank rows.
            "cells": [
                services.CellRow(criterion_at[c.criterion], option_at[c.option], c.text, c.score)
                for c in self.cell_rows
                if c.criterion in criterion_at and c.option in option_at
            ],
            "notes": [
                services.NoteRow(
                    id=pk(f),
                    delete=delete,
                    fields=fields(f, ("condition", "consequence"), delete),
                    favours=option_at.get(f.cleaned_data.get("favours")),
                )
                for _i, f, delete in self.notes.rows()
            ],
            "relations": [
                services.RelationRow(
                    id=pk(f),
                    delete=delete,
                    target=f.cleaned_data.get("target"),
                    kind=f.cleaned_data.get("kind") or DecisionRelation.Kind.RELATES_TO,
                    note=f.cleaned_data.get("note") or "",
                )
                for _i, f, delete in self.relations.rows()
            ],
        }

    @staticmethod
    def _positions(formset) -> dict[int, int]:
        return {index: position for position, (index, _f, _d) in enumerate(formset.rows())}

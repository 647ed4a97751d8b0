"""Forms of the decision log pages. They validate input; saving goes through services."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.utils import ErrorDict

from config.widgets import IsoDateInput

from . import services
from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)

DATE_WIDGET = IsoDateInput()  # YYYY-MM-DD, never the browser locale (config.widgets)
MAX_MARKDOWN = 50_000
ROWS_EXTRA = 3
ROWS_MAX = 30


class LogForm(forms.ModelForm):
    class Meta:
        model = DecisionLog
        fields = ["key", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The key is part of every decision number: it never changes.
            self.fields["key"].disabled = True

    def clean_key(self):
        return (self.cleaned_data.get("key") or "").strip().upper()


class DecisionForm(forms.ModelForm):
    """The decision's own fields (status changes have their own form)."""

    log = forms.ModelChoiceField(
        queryset=DecisionLog.objects.all(), to_field_name="key", required=True
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. security, frontend."
    )
    reason = forms.CharField(
        required=False,
        max_length=100,
        label="Reason for this change",
        help_text="Kept in the history with your name.",
    )

    class Meta:
        model = Decision
        # source_path is the importer's: the page does not edit it.
        fields = [name for name in services.EDITABLE_FIELDS if name != "source_path"]
        widgets = {
            "decided_on": DATE_WIDGET,
            "revisit_by": DATE_WIDGET,
            "deciders": forms.Textarea(attrs={"rows": 2}),
            "consulted": forms.Textarea(attrs={"rows": 2}),
            "informed": forms.Textarea(attrs={"rows": 2}),
            "drivers": forms.Textarea(attrs={"rows": 5}),
            **{name: forms.Textarea(attrs={"rows": 6}) for name in Decision.MARKDOWN_FIELDS},
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["log"]
        self.fields["title"].error_messages["required"] = "A decision needs a title."
        for name in (*Decision.MARKDOWN_FIELDS, "drivers", "deciders", "consulted", "informed"):
            self.fields[name].validators.append(MaxLengthValidator(MAX_MARKDOWN))

    def clean_title(self):
        title = (self.cleaned_data.get("title") or "").strip()
        if not title:
            raise ValidationError("A decision needs a title.")
        return title

    def decision_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class OptionForm(forms.ModelForm):
    row_noun = "Option"
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Option
        fields = ["title", "description", "good", "neutral", "bad", "findings", "verdict", "chosen"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "good": forms.Textarea(attrs={"rows": 3}),
            "neutral": forms.Textarea(attrs={"rows": 2}),
            "bad": forms.Textarea(attrs={"rows": 3}),
            "findings": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("description", "good", "neutral", "bad", "findings"):
            self.fields[name].validators.append(MaxLengthValidator(MAX_MARKDOWN))


class CriterionForm(forms.ModelForm):
    row_noun = "Criterion"
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Criterion
        fields = ["name", "description", "weight"]


class NoteForm(forms.ModelForm):
    row_noun = "Sensitivity note"
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    favours = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "—")]
    )

    class Meta:
        model = SensitivityNote
        fields = ["condition", "consequence"]


class RelationForm(forms.Form):
    row_noun = "Relation"
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=DecisionRelation.Kind.choices, initial=DecisionRelation.Kind.RELATES_TO
    )
    target = forms.CharField(
        max_length=30, label="Other decision", help_text="Its reference, e.g. AUTH-0003."
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, source: Decision | None = None, **kwargs):
        self.source = source
        super().__init__(*args, **kwargs)

    def clean_target(self):
        ref = (self.cleaned_data.get("target") or "").strip().upper()
        key, _, number = ref.rpartition("-")
        if not key or not number.isdigit() or len(number) > 9:
            raise ValidationError("Give a reference such as AUTH-0003.")
        target = (
            Decision.objects.select_related("log").filter(log__key=key, number=int(number)).first()
        )
        if target is None:
            raise ValidationError(f"There is no decision {ref}.")
        if self.source is not None and target.pk == self.source.pk:
            raise ValidationError("A decision cannot relate to itself.")
        return target

    def clean(self):
        data = super().clean()
        target, kind = data.get("target"), data.get("kind")
        deleting = data.get("DELETE")
        if (
            not deleting
            and target is not None
            and kind == DecisionRelation.Kind.SUPERSEDES
            and target.status not in (Decision.Status.ACCEPTED, Decision.Status.SUPERSEDED)
        ):
            self.add_error(
                "target",
                f"{target.reference} is {target.get_status_display().lower()}; "
                "only an accepted decision can be superseded.",
            )
        return data


ROW_DEFAULTS = {
    "criteria": {"weight": "1"},
    "relations": {"kind": DecisionRelation.Kind.RELATES_TO},
}


class BaseRows(forms.BaseFormSet):
    def full_clean(self):
        super().full_clean()
        # The rows that exist are the server's to count, not the client's: with a posted
        # INITIAL_FORMS below it (negative, say), forms holding an existing row's id
        # would skip validation and reach the save without cleaned data.
        counts = self.management_form
        posted = counts.cleaned_data.get("INITIAL_FORMS") if counts.is_valid() else None
        if self.is_bound and posted is not None and posted != len(self.initial or ()):
            self._non_form_errors.append(
                "This form is out of date or was altered; reload the page and try again."
            )

    def add_fields(self, form, index):
        """Every input of a row gets an accessible name such as "Criterion 2: weight"."""
        super().add_fields(form, index)
        noun = getattr(form, "row_noun", "Row")
        number = "" if index is None else f" {index + 1}"
        for name, field in form.fields.items():
            if not isinstance(field.widget, forms.HiddenInput):
                label = field.label or name.replace("_", " ").capitalize()
                field.widget.attrs["aria-label"] = f"{noun}{number}: {str(label).lower()}"

    def rows(self):
        """(index, form, delete?) for every form that holds data, in order."""
        for index, form in enumerate(self.forms):
            if not form.has_changed() and not (form.initial.get("id")):
                continue
            yield index, form, bool(self.can_delete and self._should_delete_form(form))


class OptionRows(BaseRows):
    def clean(self):
        if any(self.errors):
            return
        chosen = [
            form
            for _i, form, delete in self.rows()
            if not delete and form.cleaned_data.get("chosen")
        ]
        if len(chosen) > 1:
            raise ValidationError("Only one option can be the chosen one.")


def _formset(form, formset=BaseRows):
    return forms.formset_factory(
        form,
        formset=formset,
        extra=ROWS_EXTRA,
        can_delete=True,
        max_num=ROWS_MAX,
        validate_max=True,
        absolute_max=ROWS_MAX + ROWS_EXTRA,
    )


OptionFormSet = _formset(OptionForm, OptionRows)
CriterionFormSet = _formset(CriterionForm)
NoteFormSet = _formset(NoteForm)
RelationFormSet = _formset(RelationForm)


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
    """The whole edit page: the decision form, four formsets and the matrix grid.

    Matrix cells are named `cell-<criterion row>-<option row>-text|score`, keyed by
    the formset indexes, so a criterion and an option added in the same submit get
    their cells in the same submit.
    """

    def __init__(self, *, decision: Decision | None, data=None, log: DecisionLog | None = None):
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
        options = list(decision.options.all()) if decision else []
        criteria = list(decision.criteria.all()) if decision else []
        notes = list(decision.sensitivity_notes.all()) if decision else []
        relations = list(decision.relations_out.all()) if decision else []
        self.options = OptionFormSet(
            data,
            prefix="options",
            initial=[
                {"id": o.pk, **{f: getattr(o, f) for f in OptionForm._meta.fields}} for o in options
            ],
        )
        self.criteria = CriterionFormSet(
            data,
            prefix="criteria",
            initial=[
                {"id": c.pk, "name": c.name, "description": c.description, "weight": c.weight}
                for c in criteria
            ],
        )
        option_index = {o.pk: i for i, o in enumerate(options)}
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
        self.errors: list[str] = []

    GROWABLE = ("options", "criteria", "notes", "relations")

    @staticmethod
    def with_more_rows(data, prefix: str):
        """A copy of the posted data with one more blank form in formset `prefix`."""
        data = data.copy()
        key = f"{prefix}-TOTAL_FORMS"
        try:
            total = int(data.get(key, 0))
        except ValueError:
            return data  # a broken management form: shown as an error on submit
        data[key] = str(min(total + 1, ROWS_MAX + ROWS_EXTRA))
        # A bound form shows posted values, not initial ones: give the new row its
        # defaults, or it would come back "changed" (e.g. an empty weight).
        for name, value in ROW_DEFAULTS.get(prefix, {}).items():
            data.setdefault(f"{prefix}-{total}-{name}", value)
        return data

    def hide_errors(self) -> None:
        """Render the bound forms as typed, without validating them (no error noise)."""
        for formset in (self.options, self.criteria, self.notes, self.relations):
            try:
                forms_ = formset.forms
            except ValidationError:
                continue
            formset._errors, formset._non_form_errors = [], formset.error_class()
            for form in forms_:
                form._errors, form.cleaned_data = ErrorDict(), {}
        self.form._errors, self.form.cleaned_data = ErrorDict(), {}
        self.cell_errors = 0

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
                services.OptionRow(
                    id=pk(f), delete=delete, fields=fields(f, OptionForm._meta.fields, delete)
                )
                for _i, f, delete in self.options.rows()
            ],
            "criteria": [
                services.CriterionRow(
                    id=pk(f), delete=delete, fields=fields(f, CriterionForm._meta.fields, delete)
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


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[], label="New status")
    reason = forms.CharField(max_length=100, required=False)
    revisit_by = forms.DateField(
        required=False,
        widget=DATE_WIDGET,
        help_text="Needed to defer, unless an armed trigger watches this decision.",
    )

    def __init__(self, *args, decision: Decision, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.TRANSITIONS.get(decision.status, set())
        self.fields["status"].choices = [
            (value, label) for value, label in Decision.Status.choices if value in allowed
        ]
        if decision.revisit_by:
            self.fields["revisit_by"].initial = decision.revisit_by

"""Forms of the decision log pages. They validate input; saving goes through services."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from config.widgets import IsoDateInput

from . import access, services
from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    Option,
    SensitivityNote,
)

DATE_WIDGET = IsoDateInput()  # YYYY-MM-DD, never the browser locale (config.widgets)
MAX_MARKDOWN = 50_000
# Blank rows the page offers without script; with it, "Add …" adds rows in place (the
# editor script), so these are only a start. ROWS_MAX is a guard against absurd posts.
ROWS_EXTRA = {"options": 3, "criteria": 3, "notes": 1, "relations": 1}
ROWS_MAX = 60
# The row number in a formset's empty form (the editor script's template for new rows).
ROW_NUMBER = "__num__"
# The fields each form edits (its Meta.fields), named here so the editor can use them typed.
# source_path is the importer's: the page does not edit it.
DECISION_FIELDS = [name for name in services.EDITABLE_FIELDS if name != "source_path"]
OPTION_FIELDS = ["title", "description", "good", "neutral", "bad", "findings", "verdict", "chosen"]
CRITERION_FIELDS = ["name", "description", "weight"]


class LogForm(forms.ModelForm):
    class Meta:
        model = DecisionLog
        fields = ["key", "name", "description", "team", "private"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The teams offered: those the user may put a log in (adr.access; the service
        # decides). Organisation-wide ("no team") only for whom may write there.
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = access.teams_for_new_log(user)
        self.fields["team"].required = not access.can_write_log(user, DecisionLog())
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

    def limit_logs(self, user) -> None:
        """Offer only the logs ``user`` writes in (adr.access)."""
        cast(forms.ModelChoiceField, self.fields["log"]).queryset = access.writable_logs(user)

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
        fields = DECISION_FIELDS
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
        return {name: self.cleaned_data[name] for name in DECISION_FIELDS}


class OptionForm(forms.ModelForm):
    row_noun = "Option"
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Option
        fields = OPTION_FIELDS
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
        fields = CRITERION_FIELDS


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
        super().clean()
        data = self.cleaned_data  # what Form.clean returns
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


class BaseRows(forms.BaseFormSet):
    def full_clean(self):
        super().full_clean()
        # The rows that exist are the server's to count, not the client's: with a posted
        # INITIAL_FORMS below it (negative, say), forms holding an existing row's id
        # would skip validation and reach the save without cleaned data.
        counts = self.management_form
        posted = counts.cleaned_data.get("INITIAL_FORMS") if counts.is_valid() else None
        if self.is_bound and posted is not None and posted != len(self.initial or ()):
            # _non_form_errors: Django's formset internal, which the stubs do not declare.
            self._non_form_errors.append(  # type: ignore[attr-defined]
                "This form is out of date or was altered; reload the page and try again."
            )

    def add_fields(self, form, index):
        """Every input of a row gets an accessible name such as "Criterion 2: weight".

        The empty form (index None) carries ROW_NUMBER, replaced when a row is added."""
        super().add_fields(form, index)
        noun = getattr(form, "row_noun", "Row")
        number = f" {ROW_NUMBER}" if index is None else f" {index + 1}"
        for name, field in form.fields.items():
            if not isinstance(field.widget, forms.HiddenInput):
                label = field.label or name.replace("_", " ").capitalize()
                field.widget.attrs["aria-label"] = f"{noun}{number}: {str(label).lower()}"

    def rows(self):
        """(index, form, delete?) for every form that holds data, in order."""
        for index, form in enumerate(self.forms):
            if not form.has_changed() and not (form.initial.get("id")):
                continue
            # _should_delete_form: Django's formset internal, which the stubs do not declare.
            delete = self._should_delete_form  # type: ignore[attr-defined]
            deleting = self.can_delete and delete(form)
            yield index, form, bool(deleting)


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


def _formset(form, prefix: str, formset=BaseRows):
    return forms.formset_factory(
        form,
        formset=formset,
        extra=ROWS_EXTRA[prefix],
        can_delete=True,
        max_num=ROWS_MAX,
        validate_max=True,
        absolute_max=ROWS_MAX + ROWS_EXTRA[prefix],
    )


OptionFormSet = _formset(OptionForm, "options", OptionRows)
CriterionFormSet = _formset(CriterionForm, "criteria")
NoteFormSet = _formset(NoteForm, "notes")
RelationFormSet = _formset(RelationForm, "relations")


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
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (value, label) for value, label in Decision.Status.choices if value in allowed
        ]
        if decision.revisit_by:
            self.fields["revisit_by"].initial = decision.revisit_by

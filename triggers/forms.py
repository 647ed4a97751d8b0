"""Forms: one trigger form whose fields depend on the kind; the service validates parameters.

A new trigger's form carries every kind's fields, in one panel per kind (tabs switched in
the page by triggers/static/triggers/kind-tabs.js, so what was typed stays); only the
chosen kind's fields are validated and saved, the others come back as they were typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from adr.access import readable_log_q
from adr.models import Decision, SensitivityNote
from config.widgets import IsoDateInput

from .models import Initiative, Trigger

if TYPE_CHECKING:
    from config.accounts.models import User
    from risks.models import RiskAcceptance

KIND_FIELDS: dict[str, list[str]] = {
    Trigger.Kind.DATE: ["date", "lead_days"],
    Trigger.Kind.INITIATIVE: ["initiative"],
    Trigger.Kind.METRIC: ["url", "path", "op", "threshold", "interval_minutes"],
    Trigger.Kind.WEBHOOK: [],
}
CREATABLE_KINDS = [(k, Trigger.Kind(k).label) for k in KIND_FIELDS]
KIND_FIELD_NAMES = {name for names in KIND_FIELDS.values() for name in names}
HEAD_FIELDS = ("name", "description", "justification")


@dataclass
class KindPanel:
    kind: str
    label: str
    fields: list
    active: bool


class TriggerForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why the deferral is reasonable until this fires.",
    )
    # date
    date = forms.DateField(required=False, widget=IsoDateInput())
    lead_days = forms.CharField(
        required=False, help_text="Days before the date to warn, e.g. 30, 7, 1 (default)."
    )
    # initiative
    initiative = forms.ModelChoiceField(queryset=Initiative.objects.all(), required=False)
    # metric
    url = forms.URLField(required=False, label="URL", assume_scheme="https")
    path = forms.CharField(required=False, help_text="Dotted path of the number, e.g. data.users")
    op = forms.ChoiceField(
        required=False,
        label="Comparison",
        choices=[("", "—"), ("<", "<"), ("<=", "<="), (">", ">"), (">=", ">="), ("==", "==")],
    )
    threshold = forms.FloatField(required=False)
    interval_minutes = forms.IntegerField(required=False, initial=60, min_value=1)
    # links
    decisions = forms.ModelMultipleChoiceField(
        queryset=Decision.objects.select_related("log"), required=False
    )
    risk_acceptance: forms.ModelChoiceField[RiskAcceptance] = forms.ModelChoiceField(
        queryset=None, required=False
    )
    sensitivity_note = forms.ModelChoiceField(
        queryset=SensitivityNote.objects.select_related("decision__log"),
        required=False,
        help_text="Watch a sensitivity note: the trigger says when its constraint flips.",
    )
    watchers: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        queryset=None, required=False
    )
    extra_addresses = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One per line."
    )
    escalation_contact: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None, required=False
    )
    escalation_email = forms.EmailField(
        required=False, help_text="An address (e.g. a team list) told too when reminders escalate."
    )

    def __init__(
        self,
        *args,
        kind: str,
        user,
        trigger: Trigger | None = None,
        editing: bool = False,
        **kwargs,
    ):
        """``user``: whose choices these are: the decisions, acceptances and notes they
        read (adr.access, risks.access), plus the decisions ``trigger`` (the one edited)
        already rests on, so that saving never drops a link."""
        super().__init__(*args, **kwargs)
        from risks.access import readable_acceptance_q
        from risks.models import RiskAcceptance

        self.kind = kind
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        # The form's own copies of the class fields above, so their declared types hold.
        cast(forms.ModelMultipleChoiceField, self.fields["watchers"]).queryset = users
        cast(forms.ModelChoiceField, self.fields["escalation_contact"]).queryset = users
        cast(
            forms.ModelChoiceField, self.fields["risk_acceptance"]
        ).queryset = RiskAcceptance.objects.filter(readable_acceptance_q(user))
        decisions = Q(readable_log_q(user, prefix="log__"))
        if trigger is not None and trigger.pk is not None:
            decisions |= Q(triggers=trigger)
        field = cast(forms.ModelMultipleChoiceField, self.fields["decisions"])
        field.queryset = Decision.objects.select_related("log").filter(decisions).distinct()
        notes = cast(forms.ModelChoiceField, self.fields["sensitivity_note"])
        notes.queryset = SensitivityNote.objects.select_related("decision__log").filter(
            readable_log_q(user, prefix="decision__log__")
        )
        self.editing = editing
        for name in KIND_FIELD_NAMES - set(KIND_FIELDS.get(kind, [])):
            if editing:
                del self.fields[name]
            else:
                self.fields[name] = _kept_as_typed(self.fields[name])
        if editing:
            # What a trigger belongs to (and its initiative) is fixed once it exists.
            for name in ("justification", "risk_acceptance", "sensitivity_note", "initiative"):
                self.fields.pop(name, None)

    def head_fields(self) -> list:
        return [self[name] for name in HEAD_FIELDS if name in self.fields]

    def tail_fields(self) -> list:
        skip = {*HEAD_FIELDS, *KIND_FIELD_NAMES}
        return [field for field in self if field.name not in skip]

    def panels(self) -> list[KindPanel]:
        """One panel per kind offered: every creatable kind when creating, else its own."""
        kinds = [(k, label) for k, label in CREATABLE_KINDS if not self.editing or k == self.kind]
        return [
            KindPanel(
                k, label, [self[n] for n in KIND_FIELDS[k] if n in self.fields], k == self.kind
            )
            for k, label in kinds
        ]

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            name: (data[name].isoformat() if name == "date" and data.get(name) else data.get(name))
            for name in KIND_FIELDS.get(self.kind, [])
            if name != "initiative"
        }


def _kept_as_typed(field: forms.Field) -> forms.Field:
    """Another kind's field on a new trigger's form: shown again as typed, never checked
    (its panel is not the one being saved)."""
    return forms.CharField(
        required=False,
        strip=False,
        label=field.label,
        help_text=field.help_text,
        initial=field.initial,
        widget=field.widget,
    )


class InitiativeForm(forms.Form):
    name = forms.CharField(max_length=200)
    team = forms.CharField(max_length=200, required=False, label="Owning team")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    target_date = forms.DateField(required=False, widget=IsoDateInput())


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class RearmForm(forms.Form):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A fresh deferral needs a new justification.",
    )
    date = forms.DateField(
        required=False,
        widget=IsoDateInput(),
        help_text="For date triggers: the new date.",
    )

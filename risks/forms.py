from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from adr.access import readable_log_q
from adr.models import Decision
from config.widgets import IsoDateInput

from .models import Mitigation, RiskAcceptance, Signature
from .services import CONTENT_FIELDS

User = get_user_model()


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.printed_name} ({obj.username})"


class DecisionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.reference} {obj.title} ({obj.get_status_display().lower()})"


def active_users():
    return User.objects.filter(is_active=True).order_by("username")


class AcceptanceForm(forms.ModelForm):
    owner = UserChoiceField(queryset=active_users(), help_text="Accountable for this risk.")
    decisions = DecisionChoiceField(
        queryset=Decision.objects.select_related("log").order_by("log__key", "number"),
        required=False,
        label="Linked decisions",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, user, acceptance: RiskAcceptance | None = None, **kwargs):
        """``user``: whose choice of decisions this is: those they read (adr.access),
        plus those ``acceptance`` (the one edited) already rests on: its owner may not
        read them all, and must not lose a link by saving."""
        super().__init__(*args, **kwargs)
        choices = Q(readable_log_q(user, prefix="log__"))
        if acceptance is not None and acceptance.pk is not None:
            choices |= Q(risk_acceptances=acceptance)
        field = cast(DecisionChoiceField, self.fields["decisions"])
        field.queryset = (
            Decision.objects.select_related("log")
            .filter(choices)
            .distinct()
            .order_by("log__key", "number")
        )

    class Meta:
        model = RiskAcceptance
        fields = [*CONTENT_FIELDS, "decisions"]
        widgets = {
            "expires_on": IsoDateInput(),
            "risk_statement": forms.Textarea(attrs={"rows": 4}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "residual_risk": forms.Textarea(attrs={"rows": 3}),
            "likelihood": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "impact": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        help_texts = {"risk_statement": "Markdown.", "expires_on": "Required to submit."}


class MitigationForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    status = forms.ChoiceField(choices=Mitigation.Status.choices, initial="planned")
    owner = UserChoiceField(queryset=active_users(), required=False)
    due_on = forms.DateField(required=False, widget=IsoDateInput(), label="Due (if planned)")


class SignatoryForm(forms.Form):
    user = UserChoiceField(queryset=active_users(), label="Signatory")
    meaning = forms.CharField(
        max_length=100, help_text="What their signature means, e.g. risk owner, security lead."
    )


MitigationFormSet = forms.formset_factory(MitigationForm, extra=2, can_delete=True)
SignatoryFormSet = forms.formset_factory(SignatoryForm, extra=3, can_delete=True)


def formset_rows(formset) -> list[dict]:
    """The rows a user kept: filled in and not marked for deletion, in page order."""
    rows = []
    for form in formset.forms:
        data = dict(form.cleaned_data)  # empty for untouched extra forms
        if not data or data.pop("DELETE", False):
            continue
        rows.append(data)
    return rows


class SignForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=Signature.Verdict.choices, widget=forms.RadioSelect, label="Your decision"
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you decline.",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="Re-enter your password to sign. This is your electronic signature.",
    )
    digest = forms.CharField(widget=forms.HiddenInput)

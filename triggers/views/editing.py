"""Defining a trigger and editing one (the form is `triggers.forms.TriggerForm`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from config.accounts.roles import require_reader
from config.concurrency import (
    ConflictError,
    conflict_for,
    loaded_instance,
    parse_version,
    rebase_untouched,
)
from config.errors import add_to_form

from .. import access, services
from ..forms import CREATABLE_KINDS, TriggerForm
from ..models import Trigger
from .pages import history_of, int_param, readable_triggers


def _editable(data: dict) -> dict:
    """The form fields that both creating and editing a trigger save."""
    return {
        "name": data["name"],
        "description": data["description"],
        "decisions": list(data["decisions"]),
        "watchers": list(data["watchers"]),
        "extra_addresses": data["extra_addresses"],
        "escalation_contact": data["escalation_contact"],
        "escalation_email": data["escalation_email"],
    }


def create(request):
    require_reader(request.user)
    if not access.may_define(request.user):
        raise PermissionDenied("Only architects define triggers.")
    kind = request.GET.get("kind") or request.POST.get("kind") or Trigger.Kind.DATE
    if kind not in dict(CREATABLE_KINDS):
        kind = Trigger.Kind.DATE
    initial = {}
    decision_id = int_param(request.GET.get("decision"))
    if decision_id:
        initial["decisions"] = [decision_id]
    acceptance_id = int_param(request.GET.get("acceptance"))
    if acceptance_id:
        from risks.models import RiskAcceptance

        initial["risk_acceptance"] = acceptance_id
        linked = RiskAcceptance.decisions.through.objects.filter(riskacceptance_id=acceptance_id)
        initial.setdefault("decisions", list(linked.values_list("decision_id", flat=True)))
    note_id = int_param(request.GET.get("note"))
    if note_id:
        initial["sensitivity_note"] = note_id
    form = TriggerForm(request.POST or None, kind=kind, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            trigger = services.trigger_create(
                actor=request.user,
                kind=kind,
                params=form.params(),
                justification=data["justification"],
                risk_acceptance=data["risk_acceptance"],
                sensitivity_note=data["sensitivity_note"],
                initiative=data.get("initiative"),
                **_editable(data),
            )
        except ValidationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"Trigger “{trigger.name}” armed.")
            return redirect(trigger)
    return _form_page(
        request,
        form,
        status=400 if request.method == "POST" else 200,
        kind=kind,
        kind_label=Trigger.Kind(kind).label,
        creatable_kinds=CREATABLE_KINDS,
        query=request.GET.urlencode(),
    )


def _form_page(request, form, *, status: int, **context):
    """The trigger form page (defining or editing)."""
    return render(
        request, "triggers/form.html", {"nav": "triggers", "form": form, **context}, status=status
    )


def _initial(trigger: Trigger) -> dict:
    """The edit form's values for `trigger` (also for a version of it from history)."""
    params = dict(trigger.params)
    if isinstance(params.get("lead_days"), list):
        params["lead_days"] = ", ".join(str(d) for d in params["lead_days"])
    return {
        "name": trigger.name,
        "description": trigger.description,
        "justification": trigger.justification,
        "decisions": list(trigger.decisions.all()),
        "risk_acceptance": trigger.risk_acceptance_id,
        "sensitivity_note": trigger.sensitivity_note_id,
        "initiative": trigger.initiative_id,
        "watchers": list(trigger.watchers.all()),
        "extra_addresses": trigger.extra_addresses,
        "escalation_contact": trigger.escalation_contact_id,
        "escalation_email": trigger.escalation_email,
        **params,
    }


def edit(request, pk: int):
    require_reader(request.user)
    trigger = get_object_or_404(readable_triggers(request.user), pk=pk)
    if not access.can_write_trigger(request.user, trigger):
        raise PermissionDenied("Only architects of this trigger's logs edit it.")
    kind = trigger.kind if trigger.kind in dict(CREATABLE_KINDS) else ""
    form = TriggerForm(
        request.POST or None,
        kind=kind,
        user=request.user,
        trigger=trigger,
        initial=_initial(trigger),
        editing=True,
    )
    # The version the page was loaded at travels with the form (a hidden field).
    version = trigger.version
    if request.method == "POST":
        version = parse_version(request.POST.get("version")) or version
    conflict, status = None, 400
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.trigger_update(
                actor=request.user,
                trigger=trigger,
                params=form.params() if kind and trigger.is_live else None,
                expected_version=version,
                **_editable(data),
            )
        except ConflictError as error:
            # Nothing saved; their input stays in the form, saving again applies it.
            conflict = conflict_for(error, history_of(trigger))
            version, status = error.current, 409
            loaded = loaded_instance(error)
            if isinstance(loaded, Trigger):  # the trigger as loaded, or None
                trigger = get_object_or_404(Trigger, pk=pk)
                data = rebase_untouched(
                    request.POST,
                    loaded_form=TriggerForm(
                        kind=kind,
                        user=request.user,
                        trigger=trigger,
                        initial=_initial(loaded),
                        editing=True,
                    ),
                    current_form=TriggerForm(
                        kind=kind,
                        user=request.user,
                        trigger=trigger,
                        initial=_initial(trigger),
                        editing=True,
                    ),
                    conflict=conflict,
                )
                form = TriggerForm(
                    data,
                    kind=kind,
                    user=request.user,
                    trigger=trigger,
                    initial=_initial(trigger),
                    editing=True,
                )
                form.is_valid()
        except ValidationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Trigger saved.")
            return redirect(trigger)
    return _form_page(
        request,
        form,
        status=status if request.method == "POST" else 200,
        kind=trigger.kind,
        kind_label=trigger.get_kind_display(),
        trigger=trigger,
        version=version,
        conflict=conflict,
    )

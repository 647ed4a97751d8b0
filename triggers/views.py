"""Trigger and initiative pages. Thin: services do the work; errors become form errors/403."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.accounts.roles import ARCHITECT, has_role, require_reader
from config.concurrency import (
    ConflictError,
    conflict_for,
    loaded_instance,
    parse_version,
    rebase_untouched,
)
from config.history import history_entries
from config.pagination import CappedPaginator

from . import access, selectors, services
from .forms import CREATABLE_KINDS, InitiativeForm, RearmForm, ReasonForm, TriggerForm
from .models import Initiative, Trigger


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [
            f"{k}: {m}" if k != "__all__" else m for k, ms in error.message_dict.items() for m in ms
        ]
    return list(error.messages)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "message_dict"):
        for field, msgs in error.message_dict.items():
            target = field if field in form.fields else None
            for message in msgs:
                form.add_error(target, message if target else f"{message}")
    else:
        for message in error.messages:
            form.add_error(None, message)


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


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def index(request):
    require_reader(request.user)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    within = _int(request.GET.get("due_within"))
    if kind not in Trigger.Kind.values:
        kind = ""
    if state not in Trigger.State.values:
        state = ""
    if within is not None:
        within = max(0, min(within, 3650))
    triggers = selectors.trigger_list(kind=kind, state=state, due_within_days=within)
    page = CappedPaginator(triggers, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "triggers/index.html",
        {
            "nav": "triggers",
            "triggers": page,
            "page": page,
            "kinds": Trigger.Kind.choices,
            "states": Trigger.State.choices,
            "params": {"kind": kind, "state": state, "due_within": within},
            "filtered": bool(kind or state or within is not None),
            "timeline": selectors.upcoming_timeline(),
            "creatable_kinds": CREATABLE_KINDS,
        },
    )


def detail(request, pk: int):
    require_reader(request.user)
    try:
        trigger = selectors.trigger_detail(pk=pk)
    except Trigger.DoesNotExist as exc:
        raise Http404("No such trigger.") from exc
    return render(request, "triggers/detail.html", _detail_context(request, trigger))


def _detail_context(request, trigger, **forms):
    return {
        "nav": "triggers",
        "trigger": trigger,
        "can_operate": services.can_operate(request.user),
        "can_acknowledge": access.may_acknowledge(request.user, trigger),
        "is_architect": has_role(request.user, ARCHITECT),
        "disarm_form": forms.get("disarm_form") or ReasonForm(),
        "resolve_form": forms.get("resolve_form") or ReasonForm(),
        "rearm_form": forms.get("rearm_form") or RearmForm(),
        "webhook_url": request.build_absolute_uri(trigger.webhook_path),
        "signature_header": services.SIGNATURE_HEADER,
        "timestamp_header": services.TIMESTAMP_HEADER,
        "time_zone": settings.TIME_ZONE,
    }


def history(request, pk: int):
    require_reader(request.user)
    trigger = get_object_or_404(Trigger, pk=pk)
    entries = _history(trigger)
    return render(
        request,
        "triggers/history.html",
        {"nav": "triggers", "trigger": trigger, "entries": entries},
    )


def _history(trigger: Trigger):
    return history_entries(
        selectors.trigger_history(trigger=trigger),
        long_text_fields=("description", "justification"),
    )


def _action(request, pk: int, fn, form_class=None, form_name=None, ok: str = "Done."):
    require_reader(request.user)
    trigger = get_object_or_404(Trigger, pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        ctx = _detail_context(request, selectors.trigger_detail(pk=pk), **{form_name: form})
        return render(request, "triggers/detail.html", ctx, status=400)
    try:
        fn(trigger, form.cleaned_data if form else {})
    except ValidationError as error:
        for message in _messages(error):
            messages.error(request, message)
        return redirect(trigger)
    messages.success(request, ok)
    return redirect(trigger)


@require_POST
def acknowledge(request, pk: int):
    return _action(
        request,
        pk,
        lambda t, d: services.trigger_acknowledge(actor=request.user, trigger=t),
        ok="Acknowledged: reminders stop.",
    )


@require_POST
def resolve(request, pk: int):
    return _action(
        request,
        pk,
        lambda t, d: services.trigger_resolve(
            actor=request.user, trigger=t, resolution=d["reason"]
        ),
        ReasonForm,
        "resolve_form",
        ok="Resolved.",
    )


@require_POST
def disarm(request, pk: int):
    return _action(
        request,
        pk,
        lambda t, d: services.trigger_disarm(actor=request.user, trigger=t, reason=d["reason"]),
        ReasonForm,
        "disarm_form",
        ok="Disarmed.",
    )


@require_POST
def rearm(request, pk: int):
    def run(trigger, data):
        params = None
        if data.get("date") and trigger.kind in (Trigger.Kind.DATE, Trigger.Kind.EXPIRY):
            params = {**trigger.params, "date": data["date"].isoformat()}
        services.trigger_rearm(
            actor=request.user, trigger=trigger, justification=data["justification"], params=params
        )

    return _action(request, pk, run, RearmForm, "rearm_form", ok="Re-armed.")


def create(request):
    require_reader(request.user)
    if not has_role(request.user, ARCHITECT):
        raise PermissionDenied("Only architects define triggers.")
    kind = request.GET.get("kind") or request.POST.get("kind") or Trigger.Kind.DATE
    if kind not in dict(CREATABLE_KINDS):
        kind = Trigger.Kind.DATE
    initial = {}
    decision_id = _int(request.GET.get("decision"))
    if decision_id:
        initial["decisions"] = [decision_id]
    acceptance_id = _int(request.GET.get("acceptance"))
    if acceptance_id:
        from risks.models import RiskAcceptance

        initial["risk_acceptance"] = acceptance_id
        linked = RiskAcceptance.decisions.through.objects.filter(riskacceptance_id=acceptance_id)
        initial.setdefault("decisions", list(linked.values_list("decision_id", flat=True)))
    note_id = _int(request.GET.get("note"))
    if note_id:
        initial["sensitivity_note"] = note_id
    form = TriggerForm(request.POST or None, kind=kind, initial=initial)
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
            _add_errors(form, error)
        else:
            messages.success(request, f"Trigger “{trigger.name}” armed.")
            return redirect(trigger)
    return render(
        request,
        "triggers/form.html",
        {
            "nav": "triggers",
            "form": form,
            "kind": kind,
            "kind_label": Trigger.Kind(kind).label,
            "creatable_kinds": CREATABLE_KINDS,
            "query": request.GET.urlencode(),
        },
        status=400 if request.method == "POST" else 200,
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
    if not has_role(request.user, ARCHITECT):
        raise PermissionDenied("Only architects edit triggers.")
    trigger = get_object_or_404(Trigger, pk=pk)
    kind = trigger.kind if trigger.kind in dict(CREATABLE_KINDS) else ""
    form = TriggerForm(request.POST or None, kind=kind, initial=_initial(trigger), editing=True)
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
            conflict = conflict_for(error, _history(trigger))
            version, status = error.current, 409
            loaded = loaded_instance(error)
            if loaded is not None:
                trigger = get_object_or_404(Trigger, pk=pk)
                data = rebase_untouched(
                    request.POST,
                    loaded_form=TriggerForm(kind=kind, initial=_initial(loaded), editing=True),
                    current_form=TriggerForm(kind=kind, initial=_initial(trigger), editing=True),
                    conflict=conflict,
                )
                form = TriggerForm(data, kind=kind, initial=_initial(trigger), editing=True)
                form.is_valid()
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Trigger saved.")
            return redirect(trigger)
    return render(
        request,
        "triggers/form.html",
        {
            "nav": "triggers",
            "form": form,
            "kind": trigger.kind,
            "kind_label": trigger.get_kind_display(),
            "trigger": trigger,
            "version": version,
            "conflict": conflict,
        },
        status=status if request.method == "POST" else 200,
    )


# --- Initiatives --------------------------------------------------------------------


def initiative_list(request):
    require_reader(request.user)
    page = Paginator(selectors.initiative_list(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "triggers/initiative_list.html",
        {
            "nav": "triggers",
            "initiatives": page,
            "page": page,
            "is_architect": has_role(request.user, ARCHITECT),
        },
    )


def initiative_detail(request, pk: int, *, conflict=None):
    require_reader(request.user)
    try:
        initiative = selectors.initiative_detail(pk=pk)
    except Initiative.DoesNotExist as exc:
        raise Http404("No such initiative.") from exc
    return render(
        request,
        "triggers/initiative_detail.html",
        {
            "nav": "triggers",
            "initiative": initiative,
            "can_operate": services.can_operate(request.user),
            "statuses": Initiative.Status.choices,
            "conflict": conflict,
            "wanted_status": request.POST.get("status") if conflict else None,
        },
        status=409 if conflict else 200,
    )


def initiative_create(request):
    require_reader(request.user)
    if not has_role(request.user, ARCHITECT):
        raise PermissionDenied("Only architects add initiatives.")
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Initiative “{initiative.name}” added.")
            return redirect(initiative)
    return render(
        request,
        "triggers/initiative_form.html",
        {"nav": "triggers", "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def initiative_status(request, pk: int):
    require_reader(request.user)
    initiative = get_object_or_404(Initiative, pk=pk)
    status = request.POST.get("status", "")
    try:
        services.initiative_set_status(
            actor=request.user,
            initiative=initiative,
            status=status,
            expected_version=parse_version(request.POST.get("version")),
        )
    except ConflictError as error:
        # Someone changed it since the page was loaded: show what, and the status they chose.
        entries = history_entries(
            initiative.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            ),
            long_text_fields=("description",),
            label=lambda r: f"Initiative “{r.name}”",
        )
        return initiative_detail(request, pk, conflict=conflict_for(error, entries))
    except ValidationError as error:
        for message in _messages(error):
            messages.error(request, message)
    else:
        fired = initiative.triggers.filter(fired_at__isnull=False, state="fired").count()
        label = dict(Initiative.Status.choices).get(status, status)
        extra = f" {fired} trigger{'s' if fired != 1 else ''} fired." if fired else ""
        messages.success(request, f"Marked {label.lower()} at {timezone.localtime():%H:%M}.{extra}")
    return redirect(initiative)

"""The trigger list, a trigger's page and history, and the buttons on its page
(acknowledge, resolve, disarm, re-arm)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.accounts.roles import require_reader
from config.errors import error_messages
from config.history import history_entries
from config.pagination import CappedPaginator

from .. import access, selectors, services, webhooks
from ..forms import CREATABLE_KINDS, RearmForm, ReasonForm
from ..models import Trigger


def int_param(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def index(request):
    require_reader(request.user)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    within = int_param(request.GET.get("due_within"))
    if kind not in Trigger.Kind.values:
        kind = ""
    if state not in Trigger.State.values:
        state = ""
    if within is not None:
        within = max(0, min(within, 3650))
    triggers = selectors.trigger_list(
        user=request.user, kind=kind, state=state, due_within_days=within
    )
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
            "timeline": selectors.upcoming_timeline(user=request.user),
            "creatable_kinds": CREATABLE_KINDS,
        },
    )


def detail(request, pk: int):
    require_reader(request.user)
    try:
        trigger = selectors.trigger_detail(pk=pk, user=request.user)
    except Trigger.DoesNotExist as exc:
        raise Http404("No such trigger.") from exc
    return render(request, "triggers/detail.html", _detail_context(request, trigger))


def _detail_context(request, trigger, **forms):
    return {
        "nav": "triggers",
        "trigger": trigger,
        "can_acknowledge": access.may_acknowledge(request.user, trigger),
        "is_architect": access.can_write_trigger(request.user, trigger),
        "disarm_form": forms.get("disarm_form") or ReasonForm(),
        "resolve_form": forms.get("resolve_form") or ReasonForm(),
        "rearm_form": forms.get("rearm_form") or RearmForm(),
        "webhook_url": request.build_absolute_uri(trigger.webhook_path),
        "signature_header": webhooks.SIGNATURE_HEADER,
        "timestamp_header": webhooks.TIMESTAMP_HEADER,
        "time_zone": settings.TIME_ZONE,
    }


def history(request, pk: int):
    require_reader(request.user)
    trigger = get_object_or_404(readable_triggers(request.user), pk=pk)
    entries = history_of(trigger)
    return render(
        request,
        "triggers/history.html",
        {"nav": "triggers", "trigger": trigger, "entries": entries},
    )


def readable_triggers(user):
    return Trigger.objects.filter(access.readable_trigger_q(user))


def history_of(trigger: Trigger):
    return history_entries(
        selectors.trigger_history(trigger=trigger),
        long_text_fields=("description", "justification"),
    )


def _action(request, pk: int, fn, form_class=None, form_name=None, ok: str = "Done."):
    require_reader(request.user)
    trigger = get_object_or_404(readable_triggers(request.user), pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        ctx = _detail_context(request, selectors.trigger_detail(pk=pk), **{form_name: form})
        return render(request, "triggers/detail.html", ctx, status=400)
    try:
        fn(trigger, form.cleaned_data if form else {})
    except ValidationError as error:
        for message in error_messages(error, with_fields=True):
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

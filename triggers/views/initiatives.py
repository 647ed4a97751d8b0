"""Initiatives: the list, a page each, adding one and changing its status."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.accounts.roles import require_reader
from config.concurrency import ConflictError, conflict_for, parse_version
from config.errors import add_to_form, error_messages
from config.history import history_entries

from .. import access, selectors, services
from ..forms import InitiativeForm
from ..models import Initiative


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
            "is_architect": access.may_define(request.user),
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
            # Only the waiting triggers the user reads (a private log's stay private).
            "waiting": initiative.triggers.filter(
                access.readable_trigger_q(request.user)
            ).prefetch_related("decisions__log"),
            "can_operate": access.may_define(request.user),
            "statuses": Initiative.Status.choices,
            "conflict": conflict,
            "wanted_status": request.POST.get("status") if conflict else None,
        },
        status=409 if conflict else 200,
    )


def initiative_create(request):
    require_reader(request.user)
    if not access.may_define(request.user):
        raise PermissionDenied("Only architects add initiatives.")
    form = InitiativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            initiative = services.initiative_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_to_form(form, error)
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
        for message in error_messages(error, with_fields=True):
            messages.error(request, message)
    else:
        fired = initiative.triggers.filter(
            access.readable_trigger_q(request.user), fired_at__isnull=False, state="fired"
        ).count()
        label = dict(Initiative.Status.choices).get(status, status)
        extra = f" {fired} trigger{'s' if fired != 1 else ''} fired." if fired else ""
        messages.success(request, f"Marked {label.lower()} at {timezone.localtime():%H:%M}.{extra}")
    return redirect(initiative)

"""Staff edit the policy and who holds which capacity; everyone with a role sees the
review queue of the acceptances they read; owners (and the acceptance's writers) record
their reviews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.accounts.roles import require_reader
from config.clock import ledger_today
from config.errors import error_messages
from risks.access import readable_acceptance_q
from risks.models import RiskAcceptance

from . import services
from .bands import BandRow
from .models import CapacityHolder, RiskBand
from .selectors import due_for_review

if TYPE_CHECKING:
    from config.accounts.requests import AuthenticatedHttpRequest

BLANK_ROWS = 2


def _require_staff(user) -> None:
    if not (user.is_staff or user.is_superuser):
        raise PermissionDenied("Only staff change the risk policy.")


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _rows(post) -> list[BandRow]:
    rows = []
    for i in range(min(_int(post.get("rows")), 50)):
        get = lambda name, i=i: (post.get(f"band-{i}-{name}") or "").strip()  # noqa: E731
        if not any(get(n) for n in ("label", "min", "max", "capacities")):
            continue
        rows.append(
            BandRow(
                label=get("label"),
                min_score=_int(get("min")),
                max_score=_int(get("max")),
                capacities=[c for c in get("capacities").split(",") if c.strip()],
                max_expiry_months=_int(get("months")),
                review_every_days=_int(get("review")),
                pk=_int(get("pk")) or None,
            )
        )
    return rows


@login_required
def policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_reader(request.user)
    errors: list[str] = []
    if request.method == "POST":
        _require_staff(request.user)
        try:
            services.policy_save(actor=request.user, rows=_rows(request.POST))
        except ValidationError as exc:
            errors = error_messages(exc)
        else:
            messages.success(request, "Risk policy saved.")
            return redirect("riskpolicy:policy")
    current = list(RiskBand.objects.prefetch_related("capacities"))
    rows = [
        {
            "pk": b.pk,
            "label": b.label,
            "min": b.min_score,
            "max": b.max_score,
            "capacities": ", ".join(c.name for c in b.capacities.all()),
            "months": b.max_expiry_months,
            "review": b.review_every_days,
        }
        for b in current
    ] + [{} for _ in range(BLANK_ROWS)]
    holders = CapacityHolder.objects.filter(active=True).select_related("user", "capacity")
    return render(
        request,
        "riskpolicy/policy.html",
        {
            "rows": rows,
            "errors": errors,
            "is_staff": request.user.is_staff or request.user.is_superuser,
            "holders": holders.order_by("capacity__name", "user__username"),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def capacity(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    try:
        services.capacity_grant(
            actor=request.user,
            username=request.POST.get("username", ""),
            capacity=request.POST.get("capacity", ""),
            active=request.POST.get("action") != "withdraw",
        )
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    return redirect("riskpolicy:policy")


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_reader(request.user)
    rows = due_for_review(today=ledger_today(), reader=request.user)
    due = list(rows.prefetch_related("decisions")[:200])
    for acceptance in due:  # the "Still holds" button, where the service would take it
        acceptance.can_review = services.may_review_acceptance(  # type: ignore[attr-defined]
            request.user, acceptance
        )
    return render(request, "riskpolicy/queue.html", {"due": due})


@login_required
@require_POST
def reviewed(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_reader(request.user)
    readable = RiskAcceptance.objects.filter(readable_acceptance_q(request.user))
    acceptance = get_object_or_404(readable, pk=pk)
    try:
        services.acceptance_review(
            actor=request.user, acceptance=acceptance, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        for message in error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, f"Review of “{acceptance.title}” recorded.")
    return redirect("riskpolicy:queue")

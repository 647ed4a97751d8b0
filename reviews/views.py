"""The review panel's forms and the log's review policy page. Each POST answers with a
redirect back to the decision (or log) page, errors as messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from adr.access import readable_decisions, readable_logs, require_log_writer
from adr.models import Decision
from config.accounts.roles import require_reader
from config.concurrency import parse_version
from config.errors import error_messages

from . import selectors, services
from .models import ReviewPolicy

if TYPE_CHECKING:
    from config.accounts.requests import AuthenticatedHttpRequest


def panel_extra(*, obj: Decision, user) -> dict:
    """The decision page panel's context (registered in apps.ready via adr's slot)."""
    return {"review": selectors.panel(decision=obj, user=user)}


def _decision(request: AuthenticatedHttpRequest, pk: int) -> Decision:
    require_reader(request.user)
    return get_object_or_404(readable_decisions(request.user).select_related("log"), pk=pk)


def _back(
    request: AuthenticatedHttpRequest, decision: Decision, error: ValidationError | None = None
):
    for message in error_messages(error) if error else []:
        messages.error(request, message)
    return redirect(f"{decision.get_absolute_url()}#review")


@login_required
@require_POST
def request_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    decision = _decision(request, pk)
    names = request.POST.get("reviewers", "").replace(",", " ").split()
    try:
        new = services.review_request(actor=request.user, decision=decision, usernames=names)
    except ValidationError as exc:
        return _back(request, decision, exc)
    if new:
        messages.success(request, f"Review requested from {len(new)} person(s).")
    return _back(request, decision)


@login_required
@require_POST
def submit_review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    decision = _decision(request, pk)
    try:
        services.review_submit(
            actor=request.user,
            decision=decision,
            verdict=request.POST.get("verdict", ""),
            body=request.POST.get("body", ""),
            expected_version=parse_version(request.POST.get("version")),
        )
    except ValidationError as exc:
        return _back(request, decision, exc)
    messages.success(request, "Your review is recorded.")
    return _back(request, decision)


@login_required
def policy(request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
    require_reader(request.user)
    log = get_object_or_404(readable_logs(request.user), key=key.upper())
    require_log_writer(request.user, log)
    current = ReviewPolicy.objects.filter(log=log).first()
    errors: list[str] = []
    if request.method == "POST":
        try:
            approvals = int(request.POST.get("required_approvals", "0") or 0)
        except ValueError:
            errors = ["The number of approvals must be a whole number."]
        else:
            try:
                services.policy_set(
                    actor=request.user,
                    log=log,
                    required_approvals=approvals,
                    deciders_only=request.POST.get("deciders_only") == "on",
                    expected_version=parse_version(request.POST.get("version")),
                )
            except ValidationError as exc:
                errors = error_messages(exc)
            else:
                messages.success(request, "Review policy saved.")
                return redirect("reviews:policy", key=log.key)
    return render(
        request,
        "reviews/policy.html",
        {"log": log, "policy": current, "errors": errors},
        status=400 if errors else 200,
    )

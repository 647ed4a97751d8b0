"""The page comparing two versions of a decision (history lists the versions)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from . import selectors, versions
from .models import Decision


def _history_id(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404("Pick two versions to compare.") from None


def decision_compare(request, key: str, number: int):
    try:
        decision = selectors.decision_get_brief(user=request.user, key=key, number=number)
    except Decision.DoesNotExist:
        raise Http404("No such decision.") from None
    comparison = versions.decision_compare(
        user=request.user,
        decision=decision,
        a=_history_id(request.GET.get("a")),
        b=_history_id(request.GET.get("b")),
    )
    return render(
        request,
        "adr/decision_compare.html",
        {"d": decision, "cmp": comparison, "tab": "history", "nav": "decisions"},
    )

"""Pages reading an acceptance's past: two versions compared, a signing round's content."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from .selectors import acceptance_readable
from .signed_rounds import signed_round, signing_rounds
from .versions import acceptance_compare

NAV = "risks"


def _history_id(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404("Pick two versions to compare.") from None


def compare(request, pk: int):
    acceptance = acceptance_readable(user=request.user, pk=pk)
    comparison = acceptance_compare(
        user=request.user,
        acceptance=acceptance,
        a=_history_id(request.GET.get("a")),
        b=_history_id(request.GET.get("b")),
    )
    return render(
        request,
        "risks/compare.html",
        {"a": acceptance, "cmp": comparison, "tab": "history", "nav": NAV},
    )


def as_signed(request, pk: int, number: int):
    acceptance = acceptance_readable(user=request.user, pk=pk)
    round_ = signed_round(user=request.user, acceptance=acceptance, number=number)
    return render(
        request,
        "risks/signed_round.html",
        {
            "a": acceptance,
            "round": round_,
            "rounds": signing_rounds(acceptance),
            "tab": "history",
            "nav": NAV,
        },
    )

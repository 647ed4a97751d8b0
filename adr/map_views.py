"""The decision map page of a log (the layout is adr.map's)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from . import map as decision_maps
from . import selectors
from .models import DecisionLog


def log_map(request, key: str):
    try:
        log = selectors.log_get(user=request.user, key=key)
    except DecisionLog.DoesNotExist:
        raise Http404("No such log.") from None
    dmap = decision_maps.decision_map(user=request.user, log=log, page=request.GET.get("page"))
    return render(
        request,
        "adr/map.html",
        {"log": log, "map": dmap, "page": dmap.timeline.page, "nav": "logs"},
    )

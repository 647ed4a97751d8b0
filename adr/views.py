from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .models import Decision, Tag


def log_list(request):
    logs = selectors.log_list(user=request.user)
    return render(request, "adr/log_list.html", {"logs": logs, "nav": "logs"})


def log_detail(request, key: str):
    log = selectors.log_get(user=request.user, key=key)
    decisions = selectors.decision_list(user=request.user, log_key=log.key)
    return render(
        request, "adr/log_detail.html", {"log": log, "decisions": decisions, "nav": "logs"}
    )


def decision_list(request):
    params = {
        "log_key": request.GET.get("log") or None,
        "status": request.GET.get("status") or None,
        "tag": request.GET.get("tag") or None,
        "q": request.GET.get("q") or None,
    }
    qs = selectors.decision_list(user=request.user, **params)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "adr/decision_list.html",
        {
            "page": page,
            "params": params,
            "statuses": Decision.Status.choices,
            "logs": selectors.log_list(user=request.user),
            "tags": Tag.objects.all(),
            "nav": "decisions",
        },
    )


def decision_detail(request, key: str, number: int):
    decision = selectors.decision_get(user=request.user, key=key, number=number)
    return render(
        request,
        "adr/decision_detail.html",
        {
            "d": decision,
            "matrix": selectors.decision_matrix(decision),
            "nav": "decisions",
        },
    )

"""The home page: what awaits the signed-in person (sections from config.inbox)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import inbox


@never_cache
def home(request):
    sections = inbox.inbox_sections(user=request.user)
    total = sum(s.count for s in sections)
    return render(
        request,
        "inbox/home.html",
        {"sections": sections, "total": total, "inbox_open": total, "nav": "home"},
    )

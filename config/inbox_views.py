"""The home page: what awaits the signed-in person (sections from config.inbox)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import inbox
from .context_processors import nav_counts


@never_cache
def home(request):
    # The navigation's counts query gives the sections' counts too (one query for both).
    nav = nav_counts(request.user)
    sections = inbox.inbox_sections(user=request.user, counts=nav.counts)
    return render(
        request,
        "inbox/home.html",
        {"sections": sections, "total": nav.open, "nav_counts": nav, "nav": "home"},
    )

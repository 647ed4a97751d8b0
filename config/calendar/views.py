"""The feed (public, by secret token) and the profile page's create/revoke actions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import services
from .feed import calendar_for


@never_cache
@require_GET
def feed(request, token: str):
    """The person's calendar. Unknown, revoked or malformed tokens: a plain 404, the same
    for all (no hint whether the token ever existed)."""
    user = services.calendar_feed_user(raw=token)
    if user is None:
        raise Http404
    response = HttpResponse(calendar_for(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="decision-ledger.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_POST
def regenerate(request):
    _feed, raw = services.calendar_feed_regenerate(user=request.user)
    url = request.build_absolute_uri(reverse("calendar:feed", kwargs={"token": raw}))
    return render(request, "calendar/created.html", {"feed_url": url})


@require_POST
def revoke(request):
    if services.calendar_feed_revoke(user=request.user):
        messages.success(request, "Calendar URL revoked: calendars using it stop updating.")
    return redirect(reverse("accounts:profile") + "#calendar")

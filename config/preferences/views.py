"""The preferences page (logged in) and the one-click unsubscribe (signed link, no login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from . import services
from .classes import BY_KEY, CLASSES, Mode


@never_cache
def page(request):
    if request.method == "POST":
        errors = []
        for cls in CLASSES:
            mode = request.POST.get(cls.key)
            if mode is None or cls.mandatory:
                continue
            try:
                services.preference_set(user=request.user, event_class=cls.key, mode=mode)
            except ValidationError as exc:
                errors.extend(exc.messages)
        for error in errors:
            messages.error(request, error)
        if not errors:
            messages.success(request, "Your email preferences are saved.")
        return redirect("preferences:page")
    current = services.preferences_of(request.user)
    rows = [{"cls": cls, "mode": current[cls.key]} for cls in CLASSES]
    return render(
        request,
        "preferences/page.html",
        {"rows": rows, "modes": Mode.CHOICES, "nav": "preferences"},
    )


@never_cache
def unsubscribe(request, token: str):
    """A signed, expiring link from an email footer: switch one class off, no login.
    Tampered or expired links are a 404 (say nothing about whose link it was)."""
    try:
        user_id, key = services.unsubscribe_read(token)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise Http404 from exc
    cls = BY_KEY.get(key)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if cls is None or user is None or cls.mandatory:
        raise Http404
    done = False
    if request.method == "POST":
        services.preference_set(
            user=user, event_class=key, mode=Mode.OFF, reason="unsubscribed from an email link"
        )
        done = True
    return render(request, "preferences/unsubscribe.html", {"cls": cls, "done": done})

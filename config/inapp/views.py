"""The in-app notification list: yours, newest first, unread marked; mark all read."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services

# Shown instead of the subject of a notification about what its reader may no longer read.
HIDDEN_SUBJECT = "About a document you can no longer read"


@never_cache
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notifications_of(user=request.user, unread_only=unread_only)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    hidden = selectors.hidden_among(user=request.user, rows=page.object_list)
    return render(
        request,
        "inapp/list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "hidden": hidden,
            "hidden_subject": HIDDEN_SUBJECT,
            "nav": "notifications",
        },
    )


def _about_url(notification) -> str | None:
    """The page of what the notification is about, if it still exists."""
    if not notification.subject_type or not notification.subject_id:
        return None
    try:
        model = apps.get_model(notification.subject_type)
    except (LookupError, ValueError):
        return None
    about = model._default_manager.filter(pk=notification.subject_id).first()
    return about.get_absolute_url() if about and hasattr(about, "get_absolute_url") else None


@never_cache
def notification_detail(request, pk: int):
    """One notification as it was sent; opening it marks it read."""
    notification = selectors.notification_of(user=request.user, pk=pk)
    services.notification_mark_read(user=request.user, notification=notification)
    hidden = bool(selectors.hidden_among(user=request.user, rows=[notification]))
    return render(
        request,
        "inapp/detail.html",
        {
            "n": notification,
            "hidden": hidden,
            "hidden_subject": HIDDEN_SUBJECT,
            "about_url": None if hidden else _about_url(notification),
            "nav": "notifications",
        },
    )


@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        f"{count} notification{'s' if count != 1 else ''} marked read."
        if count
        else "Nothing was unread.",
    )
    return redirect("inapp:list")

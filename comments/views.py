"""The thread panel and its forms. With htmx a post answers with the thread (the page
stays); without, it redirects back to the document, so the forms work without script."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.concurrency import parse_version
from config.errors import error_messages

from . import selectors, services
from .access import Document, may_edit, may_hide
from .models import Comment

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from config.accounts.requests import AuthenticatedHttpRequest

    class HtmxHttpRequest(AuthenticatedHttpRequest):
        """A signed-in user's request that went through django-htmx's middleware."""

        htmx: HtmxDetails


def panel_context(*, document: Document, user) -> dict:
    """What ``comments/_thread.html`` needs (the panel registered on document pages)."""
    comments = selectors.thread(document=document)
    for comment in comments:
        for c in (comment, *comment.replies.all()):
            c.editable = may_edit(user, c)  # type: ignore[attr-defined]
    return {
        "document": document,
        "kind": selectors.kind_of(document),
        "comments": comments,
        "can_hide": may_hide(user),
    }


def panel_extra(*, obj: Document, user) -> dict:
    """The page panel's context (``config.panels.Panel.extra``)."""
    return panel_context(document=obj, user=user)


def _answer(
    request: HtmxHttpRequest, document: Document, *, errors: list[str], anchor: str = "comments"
) -> HttpResponse:
    if request.htmx:
        context = panel_context(document=document, user=request.user) | {"errors": errors}
        return render(request, "comments/_thread.html", context, status=400 if errors else 200)
    for error in errors:
        messages.error(request, error)
    return redirect(f"{document.get_absolute_url()}#{anchor}")


@login_required
def thread(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    try:
        document = selectors.document_get(user=request.user, kind=kind, pk=pk)
    except LookupError as exc:
        raise Http404 from exc
    if request.method != "POST":
        context = panel_context(document=document, user=request.user)
        template = "comments/_thread.html" if request.htmx else "comments/page.html"
        return render(request, template, context)
    parent = None
    if request.POST.get("parent"):
        parent_id = parse_version(request.POST["parent"])  # a positive integer, or None
        if parent_id is None:
            return _answer(request, document, errors=["That is not a comment to reply to."])
        parent = selectors.comment_get(user=request.user, pk=parent_id)
    try:
        comment = services.comment_post(
            actor=request.user, document=document, body=request.POST.get("body", ""), parent=parent
        )
    except ValidationError as exc:
        return _answer(request, document, errors=error_messages(exc))
    return _answer(request, document, errors=[], anchor=f"comment-{comment.pk}")


@login_required
@require_POST
def edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment: Comment = selectors.comment_get(user=request.user, pk=pk)
    try:
        comment = services.comment_edit(
            actor=request.user,
            comment=comment,
            body=request.POST.get("body", ""),
            expected_version=parse_version(request.POST.get("version")),
        )
    except ValidationError as exc:
        return _answer(request, comment.document, errors=error_messages(exc))
    return _answer(request, comment.document, errors=[], anchor=f"comment-{comment.pk}")


@login_required
@require_POST
def hide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    comment: Comment = selectors.comment_get(user=request.user, pk=pk)
    try:
        services.comment_hide(
            actor=request.user, comment=comment, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _answer(request, comment.document, errors=error_messages(exc))
    return _answer(request, comment.document, errors=[], anchor=f"comment-{comment.pk}")

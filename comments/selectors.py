"""Reads: a document's thread, and a comment's document."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from adr.models import Decision
from config.accounts.roles import can_read
from risks.models import RiskAcceptance

from .access import Document, may_read, require_read
from .models import Comment

if TYPE_CHECKING:
    from config.accounts.models import User

KINDS: dict[str, type[Decision] | type[RiskAcceptance]] = {
    "decision": Decision,
    "acceptance": RiskAcceptance,
}


def document_get(*, user: User, kind: str, pk: int) -> Document:
    """The decision or acceptance a comment URL names, if ``user`` may read it (else 404,
    as its page: a private log's documents do not show they exist)."""
    model = KINDS.get(kind)
    if model is None:
        raise LookupError(kind)
    # One of the two models: get_object_or_404 types it as their common base.
    document = cast(
        Document, get_object_or_404(model.objects.select_related(*_related(kind)), pk=pk)
    )
    _require_read(user, document)
    return document


def _require_read(user: User, document: Document) -> None:
    """A reader of the ledger who may not read ``document`` (a team-private log's) gets
    404, as on its page; someone with no role at all, 403."""
    if not may_read(user, document) and can_read(user):
        raise Http404("No such document.")
    require_read(user, document)


def _related(kind: str) -> tuple[str, ...]:
    return ("log",) if kind == "decision" else ()


def kind_of(document: Document) -> str:
    return "decision" if isinstance(document, Decision) else "acceptance"


def document_of(comment: Comment) -> Document:
    return comment.document


def _for(document: Document) -> QuerySet[Comment]:
    field = "decision" if isinstance(document, Decision) else "acceptance"
    return Comment.objects.filter(**{field: document})


def thread(*, document: Document) -> list[Comment]:
    """Top-level comments, oldest first, each with its replies (three queries in all,
    whatever the number of comments)."""
    replies = Comment.objects.select_related("author", "hidden_by").order_by("created_at", "id")
    return list(
        _for(document)
        .filter(parent__isnull=True)
        .select_related("author", "hidden_by")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "id")
    )


def comment_get(*, user: User, pk: int) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("decision__log", "acceptance", "author"), pk=pk
    )
    _require_read(user, comment.document)
    return comment


def count(*, document: Document) -> int:
    return _for(document).count()

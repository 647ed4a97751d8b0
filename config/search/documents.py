"""Searching one model by its stored document: rank a bounded candidate set in list
order, then fetch the page by id.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import (
    BigIntegerField,
    Case,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from .query import TS_CONFIG, clean_query, fallback_q, is_postgres

# --- Searching a model with a stored document ----------------------------------------


# How many matches a search ranks on PostgreSQL: the most recent ones in the caller's
# order (``then``, which an index serves), so that a query of words found in most
# documents costs about what a rare word costs. The count a list shows stops there too
# ("more than 200": see :func:`is_capped`).
CANDIDATES = 200


def document_search(
    qs: QuerySet,
    *,
    query: str,
    fallback_fields: Sequence[str],
    title_fields: Sequence[str],
    extra: Q | None = None,
    then: Sequence[str] = ("-id",),
) -> QuerySet:
    """``qs`` narrowed to rows whose ``search_document`` matches ``query``, best first
    (ties by ``then``). ``extra`` also matches (e.g. a reference).

    On PostgreSQL one query, run here, ranks (``ts_rank``) the first
    :data:`CANDIDATES` + 1 matches in the order ``then`` (found through the GIN index
    for rare words, by an index walk in ``then`` order for common ones); the queryset
    returned holds those rows best first (by their position in that ranking), so
    neither its page nor its count reads a search document again.

    On SQLite: ``icontains`` over ``fallback_fields`` through a subquery (no joins or
    DISTINCT in the outer query), rows matching in ``title_fields`` first.
    """
    query = clean_query(query)
    if not query:
        return qs
    if is_postgres():
        tsquery = SearchQuery(query, search_type="websearch", config=TS_CONFIG)
        match = Q(search_document=tsquery)
        if extra is not None:
            match |= extra
        # The matches first (no document read for a word the GIN index answers alone),
        # then the rank of those few only: ranking in the same scan would read the
        # document of every match.
        candidates = qs.filter(match).order_by(*then).values("pk")[: CANDIDATES + 1]
        ranked = list(
            qs.model._default_manager.filter(pk__in=candidates)
            .annotate(rank=SearchRank(F("search_document"), tsquery))
            .order_by("-rank", *then)
            .values_list("pk", flat=True)
        )
        position = Func(
            Value(ranked, output_field=ArrayField(BigIntegerField())),
            F("pk"),
            function="array_position",
            output_field=IntegerField(),
        )
        return qs.filter(pk__in=ranked).annotate(rank=position).order_by("rank")
    match = fallback_q(query, fallback_fields)
    if extra is not None:
        match |= extra
    ids = qs.model._default_manager.filter(match).values("pk")
    in_title = fallback_q(query, title_fields)
    return (
        qs.filter(pk__in=ids)
        .annotate(
            rank=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .order_by("-rank", *then)
    )


def is_capped(count: int) -> bool:
    """Whether a search's count stopped at :data:`CANDIDATES` (PostgreSQL only)."""
    return is_postgres() and count > CANDIDATES

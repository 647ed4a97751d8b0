"""Full-text search over decisions: the one filter every decision list uses (page, API,
global search) and the snippets that say where a decision matched.

On PostgreSQL each decision carries ``search_document``, a ``tsvector`` over its
reference and title (weight A), outcome and tags (B), context, drivers, consequences,
confirmation, more information and deciders (C), and its options with their arguments
and findings (D). The database keeps it current (triggers of migration
``adr/0002_search``) whatever writes the rows, and reads it through the GIN index
``adr_decision_search_gin``. On SQLite the same syntax runs as ``icontains``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from config import search
from config.accounts.roles import require_reader

from .access import readable_decisions
from .models import Decision, Option

# The fields the SQLite fallback searches (PostgreSQL reads the stored document).
FALLBACK_FIELDS = (
    "title",
    "context",
    "drivers",
    "outcome_rationale",
    "consequences_good",
    "consequences_neutral",
    "consequences_bad",
    "confirmation",
    "more_information",
    "deciders",
    "tags__name",
    "options__title",
    "options__description",
    "options__good",
    "options__neutral",
    "options__bad",
    "options__findings",
    "options__verdict",
)
# A decision's own fields a snippet may come from, in the order "where" prefers them.
SNIPPET_FIELDS = (
    ("title", "title"),
    ("outcome_rationale", "outcome"),
    ("context", "context"),
    ("drivers", "drivers"),
    ("consequences_good", "consequences"),
    ("consequences_neutral", "consequences"),
    ("consequences_bad", "consequences"),
    ("confirmation", "confirmation"),
    ("more_information", "more information"),
    ("deciders", "deciders"),
)
OPTION_FIELDS = ("title", "description", "good", "neutral", "bad", "findings", "verdict")


def _reference_q(query: str) -> Q | None:
    """``AUTH-0001`` (or ``auth-1``) as a lookup of that one decision."""
    parts = query.strip().upper().split("-")
    if len(parts) == 2 and parts[0].isalnum() and parts[1].isdigit():
        return Q(log__key=parts[0], number=int(parts[1]))
    return None


def decision_search(qs: QuerySet[Decision], *, query: str) -> QuerySet[Decision]:
    """``qs`` narrowed to the decisions matching ``query``, best match first (a title
    match ranks above a body match; a reference such as ``AUTH-0001`` matches itself)."""
    query = search.clean_query(query)
    return search.document_search(
        qs,
        query=query,
        fallback_fields=FALLBACK_FIELDS,
        title_fields=("title",),
        extra=_reference_q(query),
        then=("-updated_at", "-id"),
    )


def decision_hits(decisions: list[Decision], *, query: str) -> list[search.SearchHit]:
    """The decisions of one page as hits: where each matched and the passage.

    At most two queries (the decisions' own fields, then their options) whatever the
    number of decisions; the decisions need their log loaded.
    """
    found = search.snippets(
        decisions,
        table="adr_decision",
        fields=SNIPPET_FIELDS,
        query=query,
        child_model=Option,
        child_table="adr_option",
        child_parent="decision_id",
        child_fields=OPTION_FIELDS,
        child_label="option",
    )
    hits = []
    for d in decisions:
        where, snippet = found.get(d.pk, ("", None))
        hits.append(
            search.SearchHit(
                reference=d.reference,
                title=d.title,
                url=d.get_absolute_url(),
                where=where,
                snippet=snippet,
                badge=d.get_status_display(),
            )
        )
    return hits


class DecisionSearch:
    """The decisions' part of the global search (registered in ``AdrConfig.ready``)."""

    key = "decisions"
    label = "Decisions"

    def search(self, *, user, query: str, limit: int) -> search.SearchResults:
        require_reader(user)
        qs = decision_search(readable_decisions(user).select_related("log"), query=query)
        page = list(qs[:limit])
        return search.SearchResults(
            key=self.key,
            label=self.label,
            count=qs.count() if len(page) == limit else len(page),
            hits=decision_hits(page, query=query),
            more_url=f"{reverse('adr:decision-list')}?{urlencode({'q': query})}",
        )

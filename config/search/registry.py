"""The registry each app plugs its kind into, and the one results page across kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import (
    QuerySet,
)
from django.utils.safestring import SafeString

from .documents import CANDIDATES, is_capped
from .query import clean_query

# --- The registry ----------------------------------------------------------------------


@dataclass
class SearchHit:
    """One result: what it is, where it matched, and the passage that matched."""

    reference: str
    title: str
    url: str
    where: str = ""  # "title", "context", "option 3", "mitigation 2"…
    snippet: SafeString | None = None
    badge: str = ""  # status or state, shown beside the title


@dataclass
class SearchResults:
    key: str
    label: str
    count: int
    hits: list[SearchHit] = field(default_factory=list)
    more_url: str | None = None

    @property
    def count_label(self) -> str:
        """The count as shown: "more than 1,000" once it stopped counting."""
        return f"more than {CANDIDATES:,}" if is_capped(self.count) else f"{self.count:,}"


def results(
    *,
    key: str,
    label: str,
    qs: QuerySet,
    page: list,
    limit: int,
    found: dict[int, tuple[str, SafeString]],
    describe,
    more_url: str | None = None,
) -> SearchResults:
    """A provider's answer: one hit per row of ``page`` (``describe(row)`` gives its
    reference, title and badge), with where it matched; the total counted only when the
    page is full."""
    hits = []
    for row in page:
        reference, title, badge = describe(row)
        where, snippet = found.get(row.pk, ("", None))
        hits.append(
            SearchHit(
                reference=reference,
                title=title,
                url=row.get_absolute_url(),
                where=where,
                snippet=snippet,
                badge=badge,
            )
        )
    count = qs.count() if len(page) == limit else len(page)
    return SearchResults(key=key, label=label, count=count, hits=hits, more_url=more_url)


class SearchProvider(Protocol):
    """What an app registers to take part in the global search.

    ``search`` must check the user may read what it returns, and run a fixed number of
    queries whatever the number of matches (it returns at most ``limit`` hits).
    """

    key: str
    label: str

    def search(self, *, user, query: str, limit: int) -> SearchResults: ...


_providers: dict[str, SearchProvider] = {}


def register(provider: SearchProvider) -> None:
    """Add (or replace, by key) a provider; called from ``AppConfig.ready()``."""
    _providers[provider.key] = provider


def providers() -> list[SearchProvider]:
    """The registered providers in registration (= app dependency) order."""
    return list(_providers.values())


def search_all(*, user, query: str, limit: int = 20) -> list[SearchResults]:
    """Every kind's results for one query (empty query → nothing)."""
    query = clean_query(query)
    if not query:
        return []
    return [p.search(user=user, query=query, limit=limit) for p in providers()]

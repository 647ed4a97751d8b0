"""Full-text search across the ledger.

- ``query.py``: the query syntax and the text-search configuration;
- ``documents.py``: searching one model by its stored document (ranked, bounded);
- ``snippets.py``: where a document matched, highlighted;
- ``registry.py``: the providers each app registers, and the results across kinds.

This package re-exports their public names: ``from config import search`` then
``search.document_search``, ``search.register``…

Each domain app (adr, risks, triggers) keeps a stored, indexed search document on its
searchable model (a PostgreSQL ``tsvector`` kept current by a database trigger, see the
apps' ``*_search`` migrations) and registers a :class:`SearchProvider` here from its
``AppConfig.ready()``. The results page (``config.views.search``) asks every provider;
``config`` never imports the apps.

The syntax is PostgreSQL's ``websearch_to_tsquery``: words (all must match), ``"a
phrase"``, ``-word`` (must not match) and ``or``. On SQLite, the embedded default, the
same syntax is applied with ``icontains`` over the same fields (no stemming, no ranking
beyond "title first"): :func:`parse_websearch` and :func:`fallback_q`.
"""

from .documents import CANDIDATES, document_search, is_capped
from .query import (
    HEADLINE_OPTIONS,
    START,
    STOP,
    TS_CONFIG,
    Term,
    clean_query,
    fallback_q,
    is_postgres,
    parse_websearch,
    positive_terms,
)
from .registry import (
    SearchHit,
    SearchProvider,
    SearchResults,
    providers,
    register,
    results,
    search_all,
)
from .snippets import (
    child_snippets,
    excerpt_html,
    fallback_child_snippets,
    fallback_snippets,
    field_snippets,
    headline_html,
    snippets,
    strip_markers,
)

__all__ = [
    "CANDIDATES",
    "HEADLINE_OPTIONS",
    "START",
    "STOP",
    "TS_CONFIG",
    "SearchHit",
    "SearchProvider",
    "SearchResults",
    "Term",
    "child_snippets",
    "clean_query",
    "document_search",
    "excerpt_html",
    "fallback_child_snippets",
    "fallback_q",
    "fallback_snippets",
    "field_snippets",
    "headline_html",
    "is_capped",
    "is_postgres",
    "parse_websearch",
    "positive_terms",
    "providers",
    "register",
    "results",
    "search_all",
    "snippets",
    "strip_markers",
]

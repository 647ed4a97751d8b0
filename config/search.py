"""Full-text search across the ledger: the registry each app plugs its kind into, the
query syntax, and snippets.

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

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
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
from django.utils.safestring import SafeString, mark_safe

# Text-search configuration for documents and queries (stemming for English prose).
TS_CONFIG = "english"
# ts_headline's markers: control characters no stored text keeps (they are stripped
# from the text before highlighting), turned into <mark> after HTML escaping.
START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = "MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=…"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def clean_query(raw: str | None, *, limit: int = 200) -> str:
    """A search box's value as a query: no NUL or control characters, bounded length."""
    text = "".join(ch for ch in (raw or "") if ch >= " " or ch == "\t")
    return " ".join(text.split())[:limit]


# --- The query syntax, for the SQLite fallback and for highlighting there -------------


@dataclass(frozen=True)
class Term:
    text: str
    negated: bool = False


def parse_websearch(query: str) -> list[list[Term]]:
    """``websearch_to_tsquery``'s syntax as OR-groups of AND-ed terms.

    ``kafka "event log" -legacy or redis`` → ``[[kafka, "event log", -legacy], [redis]]``.
    """
    groups: list[list[Term]] = [[]]
    for token in re.findall(r'-?"[^"]*"?|\S+', query):
        if token.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        negated = token.startswith("-") and len(token) > 1
        text = token[1:] if negated else token
        text = text.strip('"').strip()
        if text:
            groups[-1].append(Term(text=text, negated=negated))
    return [g for g in groups if g]


def fallback_q(query: str, fields: Sequence[str]) -> Q:
    """The query as a ``Q`` of ``icontains`` over ``fields`` (a term matches if any field
    contains it). Matches nothing for a query without a positive term."""
    result: Q | None = None
    for group in parse_websearch(query):
        if not any(not t.negated for t in group):
            continue
        group_q = Q()
        for term in group:
            any_field = Q()
            for name in fields:
                any_field |= Q(**{f"{name}__icontains": term.text})
            group_q &= ~any_field if term.negated else any_field
        result = group_q if result is None else result | group_q
    return result if result is not None else Q(pk__in=[])


def positive_terms(query: str) -> list[str]:
    return [t.text for g in parse_websearch(query) for t in g if not t.negated]


# --- Snippets --------------------------------------------------------------------------


def strip_markers(text: str) -> str:
    return text.replace(START, "").replace(STOP, "")


def headline_html(fragment: str) -> SafeString:
    """A ``ts_headline`` result (with START/STOP markers) as safe HTML with <mark>."""
    escaped = html.escape(fragment, quote=False)
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308


def excerpt_html(text: str, terms: Iterable[str], *, width: int = 160) -> SafeString | None:
    """For the SQLite fallback: the passage of ``text`` around the first term it
    contains, escaped, with every term marked. ``None`` when no term occurs."""
    terms = [t for t in terms if t]
    lowered = text.lower()
    hits = [(lowered.find(t.lower()), t) for t in terms]
    hits = [(i, t) for i, t in hits if i >= 0]
    if not hits:
        return None
    first = min(i for i, _ in hits)
    start = max(0, first - width // 3)
    passage = text[start : start + width]
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", strip_markers(passage))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return headline_html(prefix + " ".join(marked.split()) + suffix)


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


def _headline_options() -> str:
    return f"StartSel={START}, StopSel={STOP}, {HEADLINE_OPTIONS}"


def field_snippets(
    *, table: str, ids: Sequence[int], fields: Sequence[tuple[str, str]], query: str
) -> dict[int, tuple[str, SafeString]]:
    """PostgreSQL: for each row of ``table`` in ``ids``, the first of ``fields`` (column,
    label) that matches ``query``, as (label, highlighted passage). One query."""
    if not ids:
        return {}
    labels = dict(fields)
    values = ", ".join(f"({i}, '{name}', t.{name})" for i, (name, _) in enumerate(fields))
    sql = f"""
        WITH q AS (SELECT websearch_to_tsquery(%s, %s) AS q)
        SELECT DISTINCT ON (t.id) t.id, f.name,
               ts_headline(%s, translate(f.body, %s, ''), q.q, %s)
        FROM {table} t CROSS JOIN q,
             LATERAL (VALUES {values}) AS f(ord, name, body)
        WHERE t.id = ANY(%s) AND coalesce(f.body, '') <> ''
          AND to_tsvector(%s, f.body) @@ q.q
        ORDER BY t.id, f.ord
    """  # noqa: S608  (only our own table and column names are interpolated)
    params: list[str | list[int]] = [
        TS_CONFIG,
        query,
        TS_CONFIG,
        START + STOP,
        _headline_options(),
        list(ids),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, TS_CONFIG])
        rows = cursor.fetchall()
    return {pk: (labels[name], headline_html(text)) for pk, name, text in rows}


def child_snippets(
    *, table: str, parent: str, ids: Sequence[int], fields: Sequence[str], label: str, query: str
) -> dict[int, tuple[str, SafeString]]:
    """PostgreSQL: for each parent in ``ids``, its first child row in ``table`` (ordered
    by position, id) matching ``query`` over ``fields``, as ("<label> N", passage)."""
    if not ids:
        return {}
    body = " || E'\\n' || ".join(f"coalesce(c.{f}, '')" for f in fields)
    sql = f"""
        WITH q AS (SELECT websearch_to_tsquery(%s, %s) AS q),
        numbered AS (
            SELECT c.{parent} AS parent, ({body}) AS body,
                   row_number() OVER (PARTITION BY c.{parent} ORDER BY c.position, c.id) AS n
            FROM {table} c WHERE c.{parent} = ANY(%s)
        )
        SELECT DISTINCT ON (numbered.parent) numbered.parent, numbered.n,
               ts_headline(%s, translate(numbered.body, %s, ''), q.q, %s)
        FROM numbered CROSS JOIN q
        WHERE to_tsvector(%s, numbered.body) @@ q.q
        ORDER BY numbered.parent, numbered.n
    """  # noqa: S608  (only our own table and column names are interpolated)
    params: list[str | list[int]] = [
        TS_CONFIG,
        query,
        list(ids),
        TS_CONFIG,
        START + STOP,
        _headline_options(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, TS_CONFIG])
        rows = cursor.fetchall()
    return {pk: (f"{label} {n}", headline_html(text)) for pk, n, text in rows}


def fallback_snippets(
    model, *, ids: Sequence[int], fields: Sequence[tuple[str, str]], query: str
) -> dict[int, tuple[str, SafeString]]:
    """SQLite: the same as :func:`field_snippets`, in Python over one query."""
    terms = positive_terms(query)
    found: dict[int, tuple[str, SafeString]] = {}
    rows = model._default_manager.filter(pk__in=ids).values_list("pk", *[n for n, _ in fields])
    for pk, *values in rows:
        for (_name, label), value in zip(fields, values, strict=True):
            passage = excerpt_html(value or "", terms)
            if passage:
                found[pk] = (label, passage)
                break
    return found


def fallback_child_snippets(
    children: Iterable, *, parent: str, fields: Sequence[str], label: str, query: str
) -> dict[int, tuple[str, SafeString]]:
    """SQLite: the same as :func:`child_snippets`, from child objects in order."""
    terms = positive_terms(query)
    found: dict[int, tuple[str, SafeString]] = {}
    index: dict[int, int] = {}
    for child in children:
        owner = getattr(child, parent)
        index[owner] = index.get(owner, 0) + 1
        if owner in found:
            continue
        passage = excerpt_html("\n".join(getattr(child, f) or "" for f in fields), terms)
        if passage:
            found[owner] = (f"{label} {index[owner]}", passage)
    return found


def snippets(
    objects: Sequence,
    *,
    table: str,
    fields: Sequence[tuple[str, str]],
    query: str,
    child_model=None,
    child_table: str = "",
    child_parent: str = "",
    child_fields: Sequence[str] = (),
    child_label: str = "",
) -> dict[int, tuple[str, SafeString]]:
    """Where each of ``objects`` matched ``query`` and the passage: its own ``fields``
    first, then its children (options, mitigations). At most two queries."""
    query = clean_query(query)
    ids = [o.pk for o in objects]
    if not query or not ids:
        return {}
    if is_postgres():
        found = field_snippets(table=table, ids=ids, fields=fields, query=query)
    else:
        found = fallback_snippets(type(objects[0]), ids=ids, fields=fields, query=query)
    missing = [i for i in ids if i not in found]
    if child_model is None or not missing:
        return found
    if is_postgres():
        found.update(
            child_snippets(
                table=child_table,
                parent=child_parent,
                ids=missing,
                fields=child_fields,
                label=child_label,
                query=query,
            )
        )
    else:
        children = child_model._default_manager.filter(**{f"{child_parent}__in": missing})
        found.update(
            fallback_child_snippets(
                children.order_by(child_parent, "position", "id"),
                parent=child_parent,
                fields=child_fields,
                label=child_label,
                query=query,
            )
        )
    return found


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

"""Snippets: where a document matched, highlighted (``ts_headline`` on PostgreSQL, an
excerpt around the words on SQLite).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from .query import (
    HEADLINE_OPTIONS,
    START,
    STOP,
    TS_CONFIG,
    clean_query,
    is_postgres,
    positive_terms,
)

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

"""The query: its syntax (``websearch_to_tsquery``'s, applied by hand on SQLite) and the
text-search configuration.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Q,
)

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

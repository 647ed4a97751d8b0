"""The personal inbox: what awaits one person, assembled from every app.

Each domain app (adr, risks, triggers) registers its :class:`InboxSection` providers
here from its ``AppConfig.ready()``, as it does for the global search; ``config`` never
imports the apps. The home page (``config.views.home``) shows every section; the
navigation's count (``config.context_processors.inbox``) adds up the sections' open
items in a single query (one ``COUNT`` subquery per section).

A provider's ``open_items`` is a queryset of the rows it counts for ``user``; the
registry counts them (all sections in one query) and lists the first
``limit`` of each (one query per section, whatever the number of items).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.db import connection
from django.db.models import QuerySet

# "Expiring soon" on the home page and in the calendar's sense of urgency.
EXPIRING_WITHIN_DAYS = 30


@dataclass
class InboxItem:
    """One line of a section: what it is, where to act on it, and why it is here."""

    title: str
    url: str
    detail: str = ""
    badge: str = ""  # e.g. "overdue", "declined", "expires in 12 days"
    when: date | None = None


@dataclass
class InboxSection:
    key: str
    label: str
    empty: str  # what would appear here, said when nothing does
    count: int
    items: list[InboxItem] = field(default_factory=list)
    more_url: str | None = None


class InboxProvider(Protocol):
    """What an app registers to add a section to everyone's home page.

    ``open_items`` returns the rows open for ``user`` (unordered, unsliced; counted by
    the registry). ``items`` turns the first ``limit`` of them into lines with a fixed
    number of queries. ``order`` places the section on the page (lower first).
    """

    key: str
    label: str
    empty: str
    order: int

    def open_items(self, *, user, today: date) -> QuerySet: ...

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]: ...

    def more_url(self, *, user) -> str | None: ...


_providers: dict[str, InboxProvider] = {}


def register(provider: InboxProvider) -> None:
    """Add (or replace, by key) a section; called from ``AppConfig.ready()``."""
    _providers[provider.key] = provider


def providers() -> list[InboxProvider]:
    return sorted(_providers.values(), key=lambda p: p.order)


def _local_today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _counts_sql(parts: list[QuerySet]) -> list[int]:
    """``SELECT (SELECT COUNT(*) FROM (<part 1>)), (SELECT COUNT(*) FROM (<part 2>)), …``:
    the row count of each queryset, in one query."""
    selects, params = [], []
    for index, qs in enumerate(parts):
        sql, part_params = qs.order_by().values("pk").query.get_compiler(using=qs.db).as_sql()
        # Only Django-compiled SQL (placeholders, not values) is interpolated.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS inbox_{index})")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        return list(cursor.fetchone())


def section_counts(
    *, user, today: date | None = None, extra: dict[str, QuerySet] | None = None
) -> dict[str, int]:
    """Every section's open count for ``user`` (and the row count of each ``extra``
    queryset, by its key), in one query."""
    if not getattr(user, "is_authenticated", False):
        return {}
    today = today or _local_today()
    listed = providers()
    parts = {p.key: p.open_items(user=user, today=today) for p in listed}
    parts.update(extra or {})
    if not parts:
        return {}
    return dict(zip(parts, _counts_sql(list(parts.values())), strict=True))


def open_count(*, user, today: date | None = None) -> int:
    """How many open items await ``user`` (the navigation's badge)."""
    return sum(section_counts(user=user, today=today).values())


def inbox_sections(
    *, user, limit: int = 10, today: date | None = None, counts: dict[str, int] | None = None
) -> list[InboxSection]:
    """The home page: every section with its count and first ``limit`` items.

    Queries: one for all counts (none if ``counts`` are given), then one per non-empty
    section.
    """
    today = today or _local_today()
    if counts is None:
        counts = section_counts(user=user, today=today)
    sections = []
    for provider in providers():
        count = counts.get(provider.key, 0)
        items = provider.items(user=user, today=today, limit=limit) if count else []
        sections.append(
            InboxSection(
                key=provider.key,
                label=provider.label,
                empty=provider.empty,
                count=count,
                items=items,
                more_url=provider.more_url(user=user) if count > len(items) else None,
            )
        )
    return sections

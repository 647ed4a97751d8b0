"""A cheap fingerprint of the database: row count and highest id of every table.

Every audited model writes a history row on each save, so an edit moves the highest
history id even when no row is added; plain tables (links, tokens) show up in their
counts. One query for the whole database, so tests can take it around every request.
Sessions and django-axes' login records are left out: they change on reads.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

SKIPPED_APPS = {"sessions", "axes"}


def _tables() -> list[tuple[str, str]]:
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label in SKIPPED_APPS or not meta.managed or meta.proxy:
            continue
        tables.append((meta.db_table, meta.pk.column))
    return sorted(set(tables))


def db_fingerprint() -> dict[str, tuple[int, object]]:
    """{table: (row count, highest primary key)} for every table of the project."""
    quote = connection.ops.quote_name
    parts = [
        f"SELECT '{table}', COUNT(*), CAST(MAX({quote(pk)}) AS VARCHAR(64)) FROM {quote(table)}"
        for table, pk in _tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: (count, highest) for table, count, highest in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))

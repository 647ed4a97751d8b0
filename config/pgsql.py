"""SQL that only PostgreSQL runs, for migrations: search triggers and GIN indexes.

SQLite (the embedded default) has no ``tsvector`` and no triggers of this kind; there
the search falls back to ``icontains`` (``config.search``), so these operations do
nothing on it.
"""

from __future__ import annotations

from django.db import migrations


def postgres_only(forward: str, reverse: str) -> migrations.RunPython:
    """A migration operation that runs ``forward`` (and ``reverse`` when unapplied) on
    PostgreSQL only."""

    def run(sql: str):
        def apply(apps, schema_editor) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward), run(reverse), elidable=False)

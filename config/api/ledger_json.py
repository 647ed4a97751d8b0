"""A JSON export of decision logs, risk acceptances and their full history, for backup
and audit (`manage.py export_ledger_json`, `GET /api/v1/export/`).

The document is assembled here from sections each app registers in :data:`SECTIONS`
from its ``AppConfig.ready()`` (adr: ``logs``; risks: ``risk_acceptances``), in app
order, so config never names a later app. The helpers below turn any model's rows and
history rows into JSON values the same way for every section.

Every row is written with all its stored fields; every history row with who, when,
what kind of change and why. A fixed number of queries per model, whatever the size.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from config.accounts.roles import require_reader
from config.registry import Registry

FORMAT = "decision-ledger-export"
VERSION = 1
HISTORY_META = ("history_id", "history_date", "history_type", "history_change_reason")


@dataclass(frozen=True)
class ExportScope:
    """What one export covers.

    - ``user``: who asks, already checked to be a reader; None for a command (everything);
    - ``log_keys``: only these decision logs (upper case) and what hangs off them, or
      None for all of them.
    """

    user: Any | None
    log_keys: list[str] | None


@dataclass(frozen=True)
class ExportSection:
    """One top-level part of the export: ``key`` in the document, ``build(scope)`` its
    JSON-ready value. ``build`` must filter by ``scope.user``'s read access (the app's
    ``access`` module) and must not run a query per row."""

    key: str
    build: Callable[[ExportScope], Any]


SECTIONS: Registry[ExportSection] = Registry(
    "config.api.ledger_json.sections", "Top-level sections of the ledger JSON export."
)


def export_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def export_row(obj: models.Model, skip: tuple[str, ...] = ()) -> dict:
    """Every stored field of `obj` by column name (derived columns left out)."""
    out = {}
    for f in obj._meta.concrete_fields:
        # Derived columns (rendered HTML, search documents) are not part of the record.
        if f.name in skip or f.name.endswith("_html") or f.name == "search_document":
            continue
        out[f.attname] = export_value(getattr(obj, f.attname))
    return out


def export_history(model: Any, **filters: Any) -> dict[int, list[dict]]:
    """History rows of `model` (django-simple-history) matching `filters`, grouped by
    object id, oldest first."""
    grouped: dict[int, list[dict]] = defaultdict(list)
    qs = (
        model.history.filter(**filters)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record in qs:
        row = {name: export_value(getattr(record, name)) for name in HISTORY_META}
        row["history_user"] = record.history_user.username if record.history_user else None
        row["fields"] = {
            f.attname: export_value(getattr(record, f.attname))
            for f in record._meta.concrete_fields
            if not f.name.startswith("history_") and not f.name.endswith("_html")
        }
        grouped[record.id].append(row)
    return grouped


def history_by_parent(history: dict[int, list[dict]], field: str, via: dict | None = None) -> dict:
    """History groups by the parent their latest row names (so deleted rows count):
    {parent id: {str(object id): rows}}; `via` maps that id one step further up."""
    out: dict = defaultdict(dict)
    for pk, rows in history.items():
        parent = rows[-1]["fields"][field]
        out[via.get(parent) if via is not None else parent][str(pk)] = rows
    return out


def ledger_export(*, user: Any = None, log_keys: list[str] | None = None) -> dict:
    """The export as a dict. `user` (if given) must be a reader; None is for commands."""
    if user is not None:
        require_reader(user)
    scope = ExportScope(user=user, log_keys=[k.upper() for k in log_keys] if log_keys else None)
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
    }
    for section in SECTIONS:
        data[section.key] = section.build(scope)
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)

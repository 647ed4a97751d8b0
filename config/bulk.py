"""Bulk writes of history-tracked rows, with their history rows, in one statement or two.

simple-history's `bulk_update_with_history` writes the rows with Django's `bulk_update`
(a `CASE WHEN id = … THEN …` per field per row: 2,000 branches for 200 triggers × 10
fields, slow to build and to plan) and builds one historical model instance per row in
Python; `bulk_create_with_history` does the latter too. Here:

- `update_with_history`: ONE statement per call — `UPDATE … FROM (VALUES …)` of the
  given fields, whose `RETURNING` rows feed the `INSERT` of the history rows ("~"), so
  the history holds exactly what the database now holds;
- `create_with_history`: Django's `bulk_create` (one `INSERT … RETURNING id`), then one
  `INSERT … SELECT` of the history rows ("+") from the rows just written.

Same history rows as simple-history's helpers (tracked columns, date, change reason from
`stamp()`, user from `stamp()` or `default_user`, type), without the per-row Python
objects. Like those helpers (and `QuerySet.update()`), no save signals are sent.

On SQLite (the embedded default: no data-modifying `WITH`) both hand over to
simple-history's helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

# Rows per statement: PostgreSQL takes 65,535 parameters per statement.
CHUNK = 500

M = TypeVar("M", bound=models.Model)


def _history_of(model: type[models.Model]) -> tuple[str, list[str]]:
    # simple-history adds `history` to the class when the model is declared.
    history = model.history.model  # type: ignore[attr-defined]
    tracked = [f.column for f in history.tracked_fields]
    return history._meta.db_table, tracked


def _field(meta: Any, name: str) -> models.Field[Any, Any]:
    """The concrete field `name` (never the other side of a relation)."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{name} is not a column of {meta.label}")
    return field


def _column(field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field.name} has no column")
    return field.column


def _reason(obj) -> str:
    return (getattr(obj, "_change_reason", None) or "")[:100]


def _user_id(obj, default_user) -> int | None:
    user = getattr(obj, "_history_user", None) or default_user
    return getattr(user, "pk", None)


def update_with_history(
    objs: Sequence[M],
    model: type[M],
    fields: Sequence[str],
    *,
    default_user=None,
    when: datetime | None = None,
) -> int:
    """Write `fields` of `objs` (rows of `model`, already locked by the caller) and one
    "~" history row each. Returns the number of rows updated."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        return bulk_update_with_history(
            objs, model, list(fields), default_user=default_user, default_date=when
        )
    qn = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    targets = [_field(meta, name) for name in fields]
    hist_table, tracked = _history_of(model)
    pk_type = pk.rel_db_type(connection)
    pk_column = _column(pk)
    names = [pk_column] + [_column(f) for f in targets] + ["_reason", "_user"]
    sets = ", ".join(
        f"{qn(_column(f))} = CAST(v.{qn(_column(f))} AS {f.db_type(connection)})" for f in targets
    )
    cols = ", ".join(qn(c) for c in tracked)
    when = when or timezone.now()
    updated = 0
    with transaction.atomic(savepoint=False):
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            row = "(" + ", ".join(["%s"] * len(names)) + ")"
            params: list = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                for f in targets:
                    value = f.pre_save(obj, add=False)
                    params.append(f.get_db_prep_save(value, connection))
                params += [_reason(obj), _user_id(obj, default_user)]
            # Identifiers from the model's metadata, values as parameters.
            sql = (
                f"WITH v ({', '.join(qn(n) for n in names)}) AS "  # noqa: S608
                f"(VALUES {', '.join([row] * len(chunk))}), "
                f"upd AS (UPDATE {qn(meta.db_table)} AS t SET {sets} FROM v "
                f"WHERE t.{qn(pk_column)} = CAST(v.{qn(pk_column)} AS {pk_type})"
                f" RETURNING t.*, v._reason, v._user) "
                f"INSERT INTO {qn(hist_table)} ({cols}, history_date, history_change_reason, "
                f"history_type, history_user_id) "
                f"SELECT {cols}, %s, upd._reason, '~', CAST(upd._user AS bigint) FROM upd"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, when])
                updated += cursor.rowcount
    return updated


def create_with_history(
    objs: Sequence[M],
    model: type[M],
    *,
    default_user=None,
    when: datetime | None = None,
) -> list[M]:
    """`bulk_create` `objs` (their pks are set) and write one "+" history row each."""
    if not objs:
        return []
    if connection.vendor != "postgresql":
        return bulk_create_with_history(objs, model, default_user=default_user, default_date=when)
    qn = connection.ops.quote_name
    meta = model._meta
    pk = meta.pk
    hist_table, tracked = _history_of(model)
    cols = ", ".join(qn(c) for c in tracked)
    tcols = ", ".join(f"t.{qn(c)}" for c in tracked)
    when = when or timezone.now()
    with transaction.atomic(savepoint=False):
        created = model._default_manager.bulk_create(objs, batch_size=CHUNK)
        for start in range(0, len(created), CHUNK):
            chunk = created[start : start + CHUNK]
            params: list = []
            for obj in chunk:
                params += [obj.pk, _reason(obj), _user_id(obj, default_user)]
            rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
            sql = (  # identifiers from the model's metadata, values as parameters
                f"INSERT INTO {qn(hist_table)} ({cols}, history_date, history_change_reason, "  # noqa: S608
                f"history_type, history_user_id) "
                f"SELECT {tcols}, %s, v._reason, '+', CAST(v._user AS bigint) "
                f"FROM (VALUES {rows}) AS v (_pk, _reason, _user) "
                f"JOIN {qn(meta.db_table)} AS t "
                f"ON t.{qn(_column(pk))} = CAST(v._pk AS {pk.rel_db_type(connection)})"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [when, *params])
    return created

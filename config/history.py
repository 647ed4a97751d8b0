"""History helpers: who did it and why, on every audited save; readable diffs for pages.

Set the actor and reason *before* save (readthedocs' habit), also in Celery tasks
and commands where there is no request.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from simple_history import utils as history_utils
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)

M = TypeVar("M", bound=models.Model)


class LedgerHistoricalRecords(HistoricalRecords):
    """simple-history's `HistoricalRecords`, with the many-to-many part of each history
    row written in one query per field.

    The library's `create_historical_record_m2ms` takes the through model from
    `history_instance.instance`, which for a model with `excluded_fields` re-reads those
    fields from the database (one query per m2m field per history row), then loads the
    through rows with `select_related` of *both* ends (every column of the decision or
    acceptance, Markdown and HTML included) only to copy their ids. Here the through
    model comes from the field and the ids are copied as they are: the same history rows,
    with the same signals sent, for one query per m2m field. (A trigger saved with its
    decisions was 8 queries more than needed; see docs/benchmarks.md, "Fast writes".)
    """

    def create_historical_record_m2ms(self, history_instance, instance):
        for field in history_instance._history_m2m_fields:
            m2m_history_model = self.m2m_models[field]
            through_model = field.remote_field.through
            attnames = [f.attname for f in through_model._meta.fields]
            owner = history_utils.get_m2m_field_name(field)
            rows = through_model.objects.filter(**{owner: instance}).values_list(*attnames)
            insert_rows = [
                m2m_history_model(history=history_instance, **dict(zip(attnames, row, strict=True)))
                for row in rows
            ]
            pre_create_historical_m2m_records.send(
                sender=m2m_history_model,
                rows=insert_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )
            created_rows = m2m_history_model.objects.bulk_create(insert_rows)
            post_create_historical_m2m_records.send(
                sender=m2m_history_model,
                created_rows=created_rows,
                history_instance=history_instance,
                instance=instance,
                field=field,
            )


def stamp(obj: M, *, actor=None, reason: str = "") -> M:
    """Set the history user and change reason on `obj` for its next save or delete."""
    if actor is not None and getattr(actor, "pk", None):
        obj._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    if reason:
        obj._change_reason = reason[:100]  # type: ignore[attr-defined]  # read by simple-history
    return obj


def tracked_save(obj: models.Model, *, actor=None, reason: str = "", **kwargs: Any) -> None:
    """Save `obj`, recording `actor` and `reason` on the history row it writes."""
    stamp(obj, actor=actor, reason=reason).save(**kwargs)


def tracked_delete(obj: models.Model, *, actor=None, reason: str = "") -> None:
    """Delete `obj`, recording `actor` and `reason` on its last history row."""
    stamp(obj, actor=actor, reason=reason).delete()


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any
    text_diff: SafeString | None = None
    old_shown: Any = None  # set for display by the conflict notice
    new_shown: Any = None


@dataclass
class HistoryEntry:
    record: Any
    when: Any
    who: Any
    kind: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange]
    object_label: str
    # (label, value) facts shown with a "created" entry, where a page sets them.
    snapshot: list[tuple[str, Any]] = dataclasses.field(default_factory=list)


def _text_diff(old: str, new: str) -> SafeString:
    """A line diff of two texts as escaped HTML (`<ins>`/`<del>` per line)."""
    out = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        tag, body = line[:2], escape(line[2:])
        if tag == "+ ":
            out.append(f'<ins class="diff-add">+ {body}</ins>')
        elif tag == "- ":
            out.append(f'<del class="diff-del">- {body}</del>')
        elif tag == "  ":
            out.append(f'<span class="diff-same">  {body}</span>')
    return mark_safe("\n".join(out))  # noqa: S308 - every piece escaped above


KIND = {"+": "created", "~": "changed", "-": "deleted"}


def history_entries(
    records, *, long_text_fields: tuple[str, ...] = (), label=str, excluded_fields=()
) -> list[HistoryEntry]:
    """Turn historical records (newest first, all of one model) into readable entries.

    `records` must be ordered newest first; each is diffed against the one before
    it for the same object. Only the records passed are compared (no extra queries
    beyond `history_user`, which callers should `select_related`).
    """
    records = list(records)
    previous_by_id: dict[Any, Any] = {}
    entries: list[HistoryEntry] = []
    for record in reversed(records):
        prev = previous_by_id.get(record.id)
        changes: list[FieldChange] = []
        if prev is not None and record.history_type == "~":
            delta = record.diff_against(
                prev, excluded_fields=excluded_fields, foreign_keys_are_objs=False
            )
            for change in delta.changes:
                field = record.instance_type._meta.get_field(change.field)
                label_text = str(getattr(field, "verbose_name", change.field)).capitalize()
                diff = None
                old, new = change.old, change.new
                if change.field in long_text_fields:
                    diff = _text_diff(old or "", new or "")
                elif getattr(field, "choices", None):
                    names = {k: str(v) for k, v in field.flatchoices}
                    old, new = names.get(old, old), names.get(new, new)
                changes.append(FieldChange(change.field, label_text, old, new, diff))
            if not changes and getattr(record, "version", None) != getattr(prev, "version", None):
                # Only the version went up (config.concurrency.touch: a part changed,
                # and the part's own entry says how): nothing to show for the object.
                previous_by_id[record.id] = record
                continue
        entries.append(
            HistoryEntry(
                record=record,
                when=record.history_date,
                who=getattr(record, "history_user", None),
                kind=KIND.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
                object_label=label(record),
            )
        )
        previous_by_id[record.id] = record
    entries.reverse()
    return entries

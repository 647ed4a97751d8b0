"""History helpers: who did it and why, on every audited save; readable diffs for pages.

Set the actor and reason *before* save (readthedocs' habit), also in Celery tasks
and commands where there is no request.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def stamp(obj: models.Model, *, actor=None, reason: str = "") -> models.Model:
    """Set the history user and change reason on `obj` for its next save or delete."""
    if actor is not None and getattr(actor, "pk", None):
        obj._history_user = actor
    if reason:
        obj._change_reason = reason[:100]
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


@dataclass
class HistoryEntry:
    record: Any
    when: Any
    who: Any
    kind: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange]
    object_label: str


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
                if change.field in long_text_fields:
                    diff = _text_diff(change.old or "", change.new or "")
                changes.append(FieldChange(change.field, label_text, change.old, change.new, diff))
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

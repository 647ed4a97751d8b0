"""History as change sets: one entry per save, across an object and its parts.

One request (a decision with its options, criteria, cells and notes; an acceptance
with its mitigations and signatories) writes many history rows, each stamped with the
same history user and change reason a few milliseconds apart. `group_change_sets`
folds those rows back into one entry per save, and `readable` renders stored values
as people read them (yes/no, formatted dates, empty markers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .dates import format_date, format_datetime
from .history import HistoryEntry

# Rows of one save are written within one transaction, milliseconds apart; two saves
# by the same person are at least a form round trip apart.
SAVE_WINDOW = timedelta(seconds=1)


@dataclass
class ChangeSet:
    """Everything one save changed: the object's own entry and its parts' entries."""

    when: datetime
    who: Any
    reason: str
    entries: list[HistoryEntry] = field(default_factory=list)

    @property
    def kind(self) -> str:
        kinds = {e.kind for e in self.entries}
        return kinds.pop() if len(kinds) == 1 else "changed"

    @property
    def key(self) -> str:
        """A stable anchor: the first row of the save (history ids are per table)."""
        first = self.entries[0].record
        return f"{first._meta.model_name}-{first.history_id}"

    @property
    def summary(self) -> str:
        """ "Decision changed; 3 options created; …" in the order first seen."""
        counts: dict[tuple[str, str], int] = {}
        for e in self.entries:
            noun = e.object_label.split(" ", 1)[0] if e.object_label else "Object"
            counts[(noun, e.kind)] = counts.get((noun, e.kind), 0) + 1
        parts = []
        for (noun, kind), n in counts.items():
            parts.append(f"{noun} {kind}" if n == 1 else f"{n} × {noun.lower()} {kind}")
        return "; ".join(parts)


def _user_key(entry: HistoryEntry) -> Any:
    return getattr(entry.record, "history_user_id", None)


def group_change_sets(entries: list[HistoryEntry]) -> list[ChangeSet]:
    """Group entries (any order) into change sets, newest first.

    Entries belong to one save when they share the history user and follow each
    other within `SAVE_WINDOW`. The services stamp each part with a reason of its
    own ("option saved", "cell saved") under the person's reason for the save, so
    reasons are not a boundary: a set shows each distinct reason once, in order.
    """
    ordered = sorted(entries, key=lambda e: (e.when, e.record.history_id))
    sets: list[ChangeSet] = []
    last_when = None
    for entry in ordered:
        current = sets[-1] if sets else None
        if (
            current is not None
            and _user_key(current.entries[0]) == _user_key(entry)
            and entry.when - last_when <= SAVE_WINDOW
        ):
            current.entries.append(entry)
        else:
            sets.append(ChangeSet(when=entry.when, who=entry.who, reason="", entries=[entry]))
        last_when = entry.when
    for change_set in sets:
        change_set.when = change_set.entries[-1].when
        reasons = [e.reason for e in change_set.entries if e.reason]
        change_set.reason = "; ".join(dict.fromkeys(reasons))
    sets.reverse()
    return sets


def readable(value: Any) -> str:
    """A stored value as a person reads it in history and comparisons."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(readable(v) for v in value) or "(none)"
    if value == "":
        return "(empty)"
    return str(value)


def records_as_of(history_qs, at: datetime | None = None, *, before: datetime | None = None):
    """The state of the rows a historical queryset covers, one query.

    For each object, its newest history record written at or before `at` (and/or
    strictly before `before`), unless that record is its deletion. By object id.
    """
    if at is not None:
        history_qs = history_qs.filter(history_date__lte=at)
    if before is not None:
        history_qs = history_qs.filter(history_date__lt=before)
    latest: dict[Any, Any] = {}
    for record in history_qs.order_by("id", "-history_date", "-history_id"):
        latest.setdefault(record.id, record)
    return [r for r in latest.values() if r.history_type != "-"]


def save_end(history_querysets, record) -> datetime:
    """When the save that wrote `record` ended: its last row across the object and its
    parts (same history user, each row within `SAVE_WINDOW` of the one before, as in
    `group_change_sets`). One small query per queryset; the rows of parts may come
    before or after the object's own row, so the version's content is read up to here.
    """
    user = getattr(record, "history_user_id", None)
    moments: list[tuple[datetime, Any]] = []
    for qs in history_querysets:
        moments.extend(
            qs.filter(history_date__gte=record.history_date).values_list(
                "history_date", "history_user_id"
            )
        )
    moments.sort(key=lambda m: m[0])
    end = record.history_date
    for when, who in moments:
        if when <= end:
            continue
        if who != user or when - end > SAVE_WINDOW:
            break
        end = when
    return end

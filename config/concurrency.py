"""Optimistic concurrency: every editable object carries a `version`.

An edit page (or an API client, through `ETag` / `If-Match`) loads version N and sends
it back with its write. The service that writes:

1. locks the row and re-reads it (`lock`), then compares the stored version with N
   (`check_version`): another version raises `ConflictError` — the page shows what
   changed since N and keeps what the person typed; the API answers 412;
2. changes attributes of the *locked* row only and saves only those fields, the
   version +1 with them (`save_changed`), so a field it does not own (the "needs
   review" flag a sweep sets, a counter incremented with F()) is never written back.

A version counts changes a person makes to what the edit page shows and saves; the
bookkeeping of sweeps (flags, counters, next-check times) leaves it alone. One edit
(a page's single submit that also saves options, mitigations, tags…) bumps a version
once: inside `one_bump()` later bumps of the same row are no-ops. Callers that did not
load the object (sweeps, importers, hooks) pass `expected_version=None`: no check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from config.history import HistoryEntry, tracked_save

M = TypeVar("M", bound=models.Model)

VERSION_FIELD = "version"

# Rows already bumped in the current edit: {(model label, pk)}; None outside `one_bump`.
_BUMPED: ContextVar[set[tuple[str, Any]] | None] = ContextVar("ledger_bumped", default=None)


class ConflictError(ValidationError):
    """The object changed since the editor loaded it (pages: 409 and the conflict
    notice; API: 412 Precondition Failed). A ValidationError, so that any caller that
    only knows those still shows the message instead of failing."""

    def __init__(self, obj: models.Model, *, expected: int):
        self.model = type(obj)
        self.pk = obj.pk
        self.expected = expected
        self.current = getattr(obj, VERSION_FIELD)
        label = str(obj._meta.verbose_name)
        super().__init__(
            f"This {label} was changed by someone else since you loaded it "
            f"(you had version {expected}; it is now at version {self.current}).",
            code="conflict",
        )


def parse_version(value: Any) -> int | None:
    """A version as sent by a form (hidden field): a positive integer, or None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None


def lock(obj: M) -> M:
    """The row of `obj`, locked until the transaction ends (PostgreSQL: concurrent
    writers queue here) and read fresh. Call inside `transaction.atomic`."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def check_version(locked: models.Model, expected: int | None) -> None:
    """Refuse the write if the editor loaded another version than the locked row's."""
    if expected is not None and int(expected) != getattr(locked, VERSION_FIELD):
        raise ConflictError(locked, expected=int(expected))


def assign(obj: models.Model, **values: Any) -> list[str]:
    """Set the attributes whose value differs; returns their names (what to save)."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _key(obj: models.Model) -> tuple[str, Any]:
    return (obj._meta.label, obj.pk)


@contextmanager
def one_bump() -> Iterator[None]:
    """Within this block each row's version goes up at most once (nested: the outer
    block's set is kept)."""
    if _BUMPED.get() is not None:
        yield
        return
    token = _BUMPED.set(set())
    try:
        yield
    finally:
        _BUMPED.reset(token)


def already_bumped(obj: models.Model) -> bool:
    bumped = _BUMPED.get()
    return bumped is not None and _key(obj) in bumped


def mark_bumped(obj: models.Model) -> None:
    """Count `obj` as bumped in this edit (e.g. it was just created at version 1)."""
    bumped = _BUMPED.get()
    if bumped is not None:
        bumped.add(_key(obj))


def bump(obj: models.Model) -> list[str]:
    """Version +1 in memory (once per `one_bump` block); returns the field to save."""
    if not already_bumped(obj):
        setattr(obj, VERSION_FIELD, getattr(obj, VERSION_FIELD) + 1)
        mark_bumped(obj)
    return [VERSION_FIELD]


def save_changed(
    locked: models.Model, *, fields: Iterable[str], actor=None, reason: str = ""
) -> None:
    """Save only `fields` of the locked row, with its version +1, recording actor and
    reason on the history row. `save(update_fields=…)` raises if no row was updated."""
    update_fields = list(dict.fromkeys([*fields, *bump(locked)]))
    tracked_save(locked, actor=actor, reason=reason, update_fields=update_fields)


def touch(obj: M, *, actor=None, reason: str = "", locked: bool = False) -> M:
    """A part of `obj` changed (an option of a decision, a mitigation of an acceptance):
    bump `obj`'s version so that pages loaded before see a conflict. Once per edit.

    `locked=True`: `obj` is the locked row itself; otherwise the row is locked here and
    `obj.version` follows it. Returns the row written."""
    if already_bumped(obj):
        return obj
    row = obj if locked else lock(obj)
    save_changed(row, fields=(), actor=actor, reason=reason)
    if row is not obj:
        setattr(obj, VERSION_FIELD, getattr(row, VERSION_FIELD))
        mark_bumped(obj)
    return row


# --- What changed since the editor's version (the conflict notice) ------------------


@dataclass
class Conflict:
    """What a conflict page shows: the versions and the changes made since."""

    expected: int
    current: int
    entries: list[HistoryEntry]
    message: str
    # Labels of fields the person had left alone and that now show the newer value.
    taken: list[str] = field(default_factory=list)


def _record_at(model: type[models.Model], pk: Any, version: int):
    history = model.history  # type: ignore[attr-defined]  # simple-history's manager
    return (
        history.filter(id=pk, **{f"{VERSION_FIELD}__lte": version})
        .order_by("-history_date", "-history_id")
        .first()
    )


def left_version_at(model: type[models.Model], pk: Any, version: int):
    """When the object last stood at `version` (or earlier): the history date of its
    newest record at that version, or None if history has no such record."""
    record = _record_at(model, pk, version)
    return record.history_date if record is not None else None


def loaded_instance(error: ConflictError) -> models.Model | None:
    """The object as the editor loaded it (its version `error.expected`), from history."""
    record = _record_at(error.model, error.pk, error.expected)
    return record.instance if record is not None else None


def shown(value: Any) -> str:
    """A field value as the conflict notice shows it (as the history pages do)."""
    if value is None:
        return "—"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def conflict_for(error: ConflictError, entries: Iterable[HistoryEntry]) -> Conflict:
    """The conflict notice for `error`: the history entries (newest first, as the
    history pages build them) recorded after the version the editor loaded."""
    since = left_version_at(error.model, error.pk, error.expected)
    newer = [e for e in entries if since is None or e.when > since]
    for entry in newer:
        for change in entry.changes:
            change.old_shown, change.new_shown = shown(change.old), shown(change.new)
    return Conflict(
        expected=error.expected, current=error.current, entries=newer, message=error.messages[0]
    )


def _as_posted(bound: forms.BoundField) -> str | None:
    """What a browser posts for this field as rendered unbound (None: a widget whose
    value is not one string, e.g. a checkbox or a multiple select — never rebased)."""
    widget = bound.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.SelectMultiple):
        return None
    value = bound.value()
    # A select posts the option's value; other widgets post what they display.
    shown = value if isinstance(widget, forms.Select) else widget.format_value(value)
    return "" if shown is None else str(shown).replace("\r\n", "\n").strip()


def rebase_untouched(
    data, *, loaded_form: forms.BaseForm, current_form: forms.BaseForm, conflict: Conflict
):
    """A copy of posted `data` where every field the person left as they loaded it, and
    that someone else changed since, shows the newer value — so that saving the
    conflict page again applies what they typed without undoing the other change.
    Fields both changed keep what they typed (the notice lists the other change).
    The labels of the fields taken over are added to `conflict.taken`."""
    data = data.copy()
    for name in loaded_form.fields:
        if name not in current_form.fields:
            continue
        before = _as_posted(loaded_form[name])
        now = _as_posted(current_form[name])
        if before is None or now is None or before == now:
            continue
        key = loaded_form.add_prefix(name)
        if str(data.get(key, "")).replace("\r\n", "\n").strip() == before:
            data[key] = now
            conflict.taken.append(str(current_form[name].label))
    return data


def with_version(data, version: int, name: str = VERSION_FIELD):
    """A copy of posted form data carrying `version`: the conflict page keeps what the
    person typed, and saving it again (after reading the changes) applies it on top."""
    data = data.copy()
    data[name] = str(version)
    return data

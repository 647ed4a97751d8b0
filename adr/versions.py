"""Versions of a decision: the list to pick from, and two of them side by side.

A version is one historical record of the decision itself (every save writes one:
a change to a part bumps the decision's version, config.concurrency). Its parts —
options, criteria, matrix cells, sensitivity notes — are read from their own
history as they stood at the end of the save that wrote the record, so a
comparison covers the whole document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.http import Http404

from config.accounts.roles import require_reader
from config.changesets import readable, records_as_of, save_end
from config.history import FieldChange, _text_diff

from .models import Criterion, Decision, MatrixCell, Option, SensitivityNote

SKIPPED = {"id", "version", "updated_at", "created_at", "number", "log", "created_by", "tags"}
LONG_TEXT = tuple(Decision.MARKDOWN_FIELDS) + ("drivers", "deciders", "consulted", "informed")


@dataclass
class Comparison:
    a: Any  # historical record (older or as picked)
    b: Any
    changes: list[FieldChange]


def decision_versions(*, user, decision: Decision) -> list:
    """Every recorded version of the decision, newest first (one query)."""
    require_reader(user)
    return list(
        Decision.history.filter(id=decision.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _tags(history_id: int) -> list[str]:
    through = apps.get_model("adr", "HistoricalDecision_tags")
    return sorted(through.objects.filter(history_id=history_id).values_list("tag__name", flat=True))


def _parts_text(record) -> dict[str, str]:
    """The parts of the decision in the version `record`, as they stood at the end of
    the save that wrote it, as lines of text."""
    d = record.id
    criterion_ids = Criterion.history.filter(decision_id=d).values("id")
    end = save_end(
        [
            Decision.history.filter(id=d),
            Option.history.filter(decision_id=d),
            Criterion.history.filter(decision_id=d),
            MatrixCell.history.filter(criterion_id__in=criterion_ids),
            SensitivityNote.history.filter(decision_id=d),
        ],
        record,
    )

    def as_of(qs):
        return records_as_of(qs, at=end)

    options = sorted(as_of(Option.history.filter(decision_id=d)), key=_order)
    criteria = sorted(as_of(Criterion.history.filter(decision_id=d)), key=_order)
    titles = {o.id: o.title for o in options}
    names = {c.id: c.name for c in criteria}
    cells = as_of(MatrixCell.history.filter(criterion_id__in=list(names)))
    notes = sorted(as_of(SensitivityNote.history.filter(decision_id=d)), key=_order)
    cells = [c for c in cells if c.option_id in titles]
    cells.sort(key=lambda c: (list(names).index(c.criterion_id), list(titles).index(c.option_id)))
    return {
        "Options": "\n".join(
            f"{o.title}{' (chosen)' if o.chosen else ''}{f' — {o.verdict}' if o.verdict else ''}"
            for o in options
        ),
        "Criteria": "\n".join(f"{c.name} × {readable(c.weight)}" for c in criteria),
        "Matrix": "\n".join(
            f"{names[c.criterion_id]} / {titles[c.option_id]}: {readable(c.score)}"
            + (f" — {c.text}" if c.text else "")
            for c in cells
        ),
        "Sensitivity notes": "\n".join(
            f"{n.condition} → {n.consequence}"
            + (f" (favours {titles.get(n.favours_id, '?')})" if n.favours_id else "")
            for n in notes
        ),
    }


def _order(record) -> tuple:
    return (record.position, record.id)


def decision_compare(*, user, decision: Decision, a: int, b: int) -> Comparison:
    """Versions `a` and `b` (history ids) of the decision: every field that differs."""
    require_reader(user)
    records = {
        r.history_id: r
        for r in Decision.history.filter(id=decision.pk, history_id__in=[a, b]).select_related(
            "history_user"
        )
    }
    if a not in records or b not in records:
        raise Http404("No such version of this decision.")
    old, new = records[a], records[b]
    changes: list[FieldChange] = []
    statuses = dict(Decision.Status.choices)
    for field in Decision._meta.fields:
        name = field.name
        if name in SKIPPED or name.endswith("_html") or not hasattr(old, field.attname):
            continue  # bookkeeping, rendered copies, or not kept in history
        before, after = getattr(old, field.attname), getattr(new, field.attname)
        if before == after:
            continue
        label = str(field.verbose_name).capitalize()
        if name in LONG_TEXT:
            changes.append(FieldChange(name, label, before, after, _text_diff(before, after)))
        else:
            if name == "status":
                before, after = statuses.get(before, before), statuses.get(after, after)
            changes.append(FieldChange(name, label, readable(before), readable(after)))
    tags_old, tags_new = _tags(old.history_id), _tags(new.history_id)
    if tags_old != tags_new:
        changes.append(FieldChange("tags", "Tags", readable(tags_old), readable(tags_new)))
    parts_old, parts_new = _parts_text(old), _parts_text(new)
    for label, before in parts_old.items():
        after = parts_new[label]
        if before != after:
            changes.append(
                FieldChange(label.lower(), label, before, after, _text_diff(before, after))
            )
    return Comparison(a=old, b=new, changes=changes)

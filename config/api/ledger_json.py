"""A JSON export of decision logs, risk acceptances and their full history, for backup
and audit (`manage.py export_ledger_json`, `GET /api/v1/export/`).

Every row is written with all its stored fields; every history row with who, when,
what kind of change and why. A fixed number of queries per model, whatever the size.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from adr.models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)
from config.accounts.roles import require_reader

FORMAT = "decision-ledger-export"
VERSION = 1
HISTORY_META = ("history_id", "history_date", "history_type", "history_change_reason")


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _row(obj, skip=()) -> dict:
    out = {}
    for f in obj._meta.concrete_fields:
        # Derived columns (rendered HTML, search documents) are not part of the record.
        if f.name in skip or f.name.endswith("_html") or f.name == "search_document":
            continue
        out[f.attname] = _value(getattr(obj, f.attname))
    return out


def _history(model, **filters) -> dict[int, list[dict]]:
    """History rows of `model` grouped by object id, oldest first."""
    grouped: dict[int, list[dict]] = defaultdict(list)
    qs = (
        model.history.filter(**filters)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for record in qs:
        row = {name: _value(getattr(record, name)) for name in HISTORY_META}
        row["history_user"] = record.history_user.username if record.history_user else None
        row["fields"] = {
            f.attname: _value(getattr(record, f.attname))
            for f in record._meta.concrete_fields
            if not f.name.startswith("history_") and not f.name.endswith("_html")
        }
        grouped[record.id].append(row)
    return grouped


def _by_parent(history: dict[int, list[dict]], field: str, via: dict | None = None) -> dict:
    """History groups by the parent their latest row names (so deleted rows count):
    {parent id: {str(object id): rows}}; `via` maps that id one step further up."""
    out: dict = defaultdict(dict)
    for pk, rows in history.items():
        parent = rows[-1]["fields"][field]
        out[via.get(parent) if via is not None else parent][str(pk)] = rows
    return out


def _decisions(logs: list[DecisionLog]) -> dict[int, list[dict]]:
    decisions = list(
        Decision.objects.filter(log__in=logs).prefetch_related("tags").order_by("log", "number")
    )
    ids = [d.pk for d in decisions]
    options = defaultdict(list)
    for o in Option.objects.filter(decision_id__in=ids).order_by("position", "id"):
        options[o.decision_id].append(o)
    criteria = defaultdict(list)
    crit_ids = []
    for c in Criterion.objects.filter(decision_id__in=ids).order_by("position", "id"):
        criteria[c.decision_id].append(c)
        crit_ids.append(c.pk)
    cells = defaultdict(list)
    for cell in MatrixCell.objects.filter(criterion_id__in=crit_ids).order_by("id"):
        cells[cell.criterion_id].append(_row(cell))
    notes = defaultdict(list)
    for n in SensitivityNote.objects.filter(decision_id__in=ids).order_by("position", "id"):
        notes[n.decision_id].append(n)
    relations = defaultdict(list)
    for r in DecisionRelation.objects.filter(source_id__in=ids).order_by("id"):
        relations[r.source_id].append(r)
    h_decisions = _history(Decision, id__in=ids)
    h_options = _by_parent(_history(Option, decision_id__in=ids), "decision_id")
    h_criteria = _history(Criterion, decision_id__in=ids)
    # A cell belongs to the decision its criterion last belonged to (deleted ones too).
    criterion_decision = {k: rows[-1]["fields"]["decision_id"] for k, rows in h_criteria.items()}
    h_cells = _by_parent(
        _history(
            MatrixCell,
            criterion_id__in=Criterion.history.filter(decision_id__in=ids).values("id"),
        ),
        "criterion_id",
        via=criterion_decision,
    )
    h_criteria = _by_parent(h_criteria, "decision_id")
    h_notes = _by_parent(_history(SensitivityNote, decision_id__in=ids), "decision_id")
    h_relations = _by_parent(_history(DecisionRelation, source_id__in=ids), "source_id")

    by_log: dict[int, list[dict]] = defaultdict(list)
    for d in decisions:
        entry = _row(d)
        entry["reference"] = d.reference
        entry["tags"] = sorted(t.name for t in d.tags.all())
        entry["options"] = [_row(o) for o in options[d.pk]]
        entry["criteria"] = [{**_row(c), "cells": cells[c.pk]} for c in criteria[d.pk]]
        entry["sensitivity_notes"] = [_row(n) for n in notes[d.pk]]
        entry["relations"] = [_row(r) for r in relations[d.pk]]
        entry["history"] = {
            "decision": h_decisions.get(d.pk, []),
            "options": h_options.get(d.pk, {}),
            "criteria": h_criteria.get(d.pk, {}),
            "cells": h_cells.get(d.pk, {}),
            "sensitivity_notes": h_notes.get(d.pk, {}),
            "relations": h_relations.get(d.pk, {}),
        }
        by_log[d.log_id].append(entry)
    return by_log


def _acceptances(logs: list[DecisionLog] | None, *, user=None) -> list[dict]:
    try:
        from risks.access import readable_acceptance_q
        from risks.models import Mitigation, RequiredSignatory, RiskAcceptance, Signature
    except ImportError:  # pragma: no cover - risks is an installed app
        return []
    qs = RiskAcceptance.objects.prefetch_related("decisions__log").order_by("pk")
    if user is not None:
        qs = qs.filter(readable_acceptance_q(user))
    if logs is not None:
        qs = qs.filter(decisions__log__in=logs).distinct()
    acceptances = list(qs)
    ids = [a.pk for a in acceptances]
    groups = {}
    for name, model in (
        ("mitigations", Mitigation),
        ("signatories", RequiredSignatory),
        ("signatures", Signature),
    ):
        rows = defaultdict(list)
        for obj in model.objects.filter(acceptance_id__in=ids).order_by("pk"):
            rows[obj.acceptance_id].append(_row(obj))
        groups[name] = rows
    h_acc = _history(RiskAcceptance, id__in=ids)
    h_children = {
        name: _by_parent(_history(model, acceptance_id__in=ids), "acceptance_id")
        for name, model in (
            ("mitigations", Mitigation),
            ("signatories", RequiredSignatory),
            ("signatures", Signature),
        )
    }
    out = []
    for a in acceptances:
        entry = _row(a)
        entry["decisions"] = [d.reference for d in a.decisions.all()]
        for name in groups:
            entry[name] = groups[name][a.pk]
        entry["history"] = {"acceptance": h_acc.get(a.pk, [])}
        for name, history in h_children.items():
            entry["history"][name] = history.get(a.pk, {})
        out.append(entry)
    return out


def ledger_export(*, user=None, log_keys: list[str] | None = None) -> dict:
    """The export as a dict. `user` (if given) must be a reader; None is for commands."""
    if user is not None:
        require_reader(user)
        # Private logs and what follows them only for whom reads them (adr.access).
        from adr.access import readable_logs

        logs_qs = readable_logs(user).order_by("key")
    else:
        logs_qs = DecisionLog.objects.order_by("key")
    if log_keys:
        logs_qs = logs_qs.filter(key__in=[k.upper() for k in log_keys])
    logs = list(logs_qs)
    decisions = _decisions(logs)
    h_logs = _history(DecisionLog, id__in=[log.pk for log in logs])
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "logs": [
            {
                **_row(log),
                "decisions": decisions.get(log.pk, []),
                "history": h_logs.get(log.pk, []),
            }
            for log in logs
        ],
        "risk_acceptances": _acceptances(logs if log_keys else None, user=user),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)

"""The ``logs`` section of the ledger JSON export (config/api/ledger_json.py): each
readable decision log with its decisions, their parts and the full history of each.

Registered from ``AdrConfig.ready()``; a later app's section (risks) narrows itself to
the same logs with :func:`exported_logs`.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from adr.access import readable_logs
from adr.models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)
from config.api.ledger_json import (
    ExportScope,
    ExportSection,
    export_history,
    export_row,
    history_by_parent,
)


def exported_logs(scope: ExportScope) -> QuerySet[DecisionLog]:
    """The logs an export covers: those `scope.user` reads (private logs and what
    follows them only for whom reads them), narrowed to `scope.log_keys`."""
    if scope.user is not None:
        logs = readable_logs(scope.user).order_by("key")
    else:
        logs = DecisionLog.objects.order_by("key")
    if scope.log_keys:
        logs = logs.filter(key__in=scope.log_keys)
    return logs


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
        cells[cell.criterion_id].append(export_row(cell))
    notes = defaultdict(list)
    for n in SensitivityNote.objects.filter(decision_id__in=ids).order_by("position", "id"):
        notes[n.decision_id].append(n)
    relations = defaultdict(list)
    for r in DecisionRelation.objects.filter(source_id__in=ids).order_by("id"):
        relations[r.source_id].append(r)
    h_decisions = export_history(Decision, id__in=ids)
    h_options = history_by_parent(export_history(Option, decision_id__in=ids), "decision_id")
    h_criteria = export_history(Criterion, decision_id__in=ids)
    # A cell belongs to the decision its criterion last belonged to (deleted ones too).
    criterion_decision = {k: rows[-1]["fields"]["decision_id"] for k, rows in h_criteria.items()}
    h_cells = history_by_parent(
        export_history(
            MatrixCell,
            criterion_id__in=Criterion.history.filter(decision_id__in=ids).values("id"),
        ),
        "criterion_id",
        via=criterion_decision,
    )
    h_criteria = history_by_parent(h_criteria, "decision_id")
    h_notes = history_by_parent(export_history(SensitivityNote, decision_id__in=ids), "decision_id")
    h_relations = history_by_parent(
        export_history(DecisionRelation, source_id__in=ids), "source_id"
    )

    by_log: dict[int, list[dict]] = defaultdict(list)
    for d in decisions:
        entry = export_row(d)
        entry["reference"] = d.reference
        entry["tags"] = sorted(t.name for t in d.tags.all())
        entry["options"] = [export_row(o) for o in options[d.pk]]
        entry["criteria"] = [{**export_row(c), "cells": cells[c.pk]} for c in criteria[d.pk]]
        entry["sensitivity_notes"] = [export_row(n) for n in notes[d.pk]]
        entry["relations"] = [export_row(r) for r in relations[d.pk]]
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


def logs_section(scope: ExportScope) -> list[dict]:
    logs = list(exported_logs(scope))
    decisions = _decisions(logs)
    h_logs = export_history(DecisionLog, id__in=[log.pk for log in logs])
    return [
        {
            **export_row(log),
            "decisions": decisions.get(log.pk, []),
            "history": h_logs.get(log.pk, []),
        }
        for log in logs
    ]


LOGS = ExportSection(key="logs", build=logs_section)

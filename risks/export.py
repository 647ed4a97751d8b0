"""The ``risk_acceptances`` section of the ledger JSON export
(config/api/ledger_json.py): each readable acceptance with its mitigations, signatories,
signatures and the full history of each. With log keys, only the acceptances resting on
a decision of those logs (adr.api.export.exported_logs).

Registered from ``RisksConfig.ready()``, after adr's ``logs``.
"""

from __future__ import annotations

from collections import defaultdict

from adr.api.export import exported_logs
from config.api.ledger_json import (
    ExportScope,
    ExportSection,
    export_history,
    export_row,
    history_by_parent,
)

from .access import readable_acceptance_q
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature

CHILDREN = (
    ("mitigations", Mitigation),
    ("signatories", RequiredSignatory),
    ("signatures", Signature),
)


def acceptances_section(scope: ExportScope) -> list[dict]:
    qs = RiskAcceptance.objects.prefetch_related("decisions__log").order_by("pk")
    if scope.user is not None:
        qs = qs.filter(readable_acceptance_q(scope.user))
    if scope.log_keys:
        qs = qs.filter(decisions__log__in=exported_logs(scope)).distinct()
    acceptances = list(qs)
    ids = [a.pk for a in acceptances]
    groups = {}
    for name, model in CHILDREN:
        rows = defaultdict(list)
        for obj in model.objects.filter(acceptance_id__in=ids).order_by("pk"):
            rows[obj.acceptance_id].append(export_row(obj))
        groups[name] = rows
    h_acc = export_history(RiskAcceptance, id__in=ids)
    h_children = {
        name: history_by_parent(export_history(model, acceptance_id__in=ids), "acceptance_id")
        for name, model in CHILDREN
    }
    out = []
    for a in acceptances:
        entry = export_row(a)
        entry["decisions"] = [d.reference for d in a.decisions.all()]
        for name in groups:
            entry[name] = groups[name][a.pk]
        entry["history"] = {"acceptance": h_acc.get(a.pk, [])}
        for name, history in h_children.items():
            entry["history"][name] = history.get(a.pk, {})
        out.append(entry)
    return out


RISK_ACCEPTANCES = ExportSection(key="risk_acceptances", build=acceptances_section)

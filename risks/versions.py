"""Versions of a risk acceptance: pick two from history, see what differs.

A version is one history record of the acceptance. Its content (the signed fields,
linked decisions, mitigations and signatories) is read as it stood at the end of the
save that wrote the record (config.changesets.save_end), in the canonical
form that signatures cover (risks.signed_rounds), plus the state
it was in; the comparison lists what differs, long texts as line diffs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404

from config.accounts.roles import require_reader
from config.changesets import readable, save_end
from config.history import FieldChange, _text_diff

from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature
from .signed_rounds import document_as_of
from .signing import document_bytes

LONG_TEXT = {"risk_statement", "scope", "residual_risk"}
FIELD_LABELS = {
    "title": "Title",
    "finding_source": "Finding source",
    "finding_reference": "Finding reference",
    "risk_statement": "Risk statement",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "scope": "Scope",
    "residual_risk": "Residual risk",
    "owner": "Owner",
    "expires_on": "Expires on",
    "decisions": "Linked decisions",
    "mitigations": "Mitigations",
    "signatories": "Signatories",
}


@dataclass
class Version:
    record: Any
    document: dict | None
    digest: str


@dataclass
class Comparison:
    a: Version
    b: Version
    changes: list[FieldChange]


def acceptance_versions(*, user, acceptance: RiskAcceptance) -> list:
    """Every history record of the acceptance, newest first (one query)."""
    require_reader(user)
    return list(
        RiskAcceptance.history.filter(id=acceptance.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def _lines(name: str, value: Any, people: dict[int, str]) -> str:
    def person(ref):
        return people.get(ref["id"], ref["username"]) if ref else "—"

    statuses = dict(Mitigation.Status.choices)
    if name == "decisions":
        return "\n".join(d["reference"] for d in value)
    if name == "mitigations":
        return "\n".join(
            f"{m['description']} [{statuses.get(m['status'], m['status'])}; "
            f"owner {person(m['owner'])}; due {m['due_on'] or '—'}]"
            for m in value
        )
    if name == "signatories":
        return "\n".join(f"{person(s['user'])} ({s['meaning']})" for s in value)
    if name == "owner":
        return person(value)
    return readable(value)


def _version(record) -> Version:
    pk = record.id
    end = save_end(
        [
            RiskAcceptance.history.filter(id=pk),
            Mitigation.history.filter(acceptance_id=pk),
            RequiredSignatory.history.filter(acceptance_id=pk),
            Signature.history.filter(acceptance_id=pk),
        ],
        record,
    )
    doc, _ = document_as_of(pk, at=end)
    digest = hashlib.sha256(document_bytes(doc)).hexdigest() if doc else ""
    return Version(record=record, document=doc, digest=digest)


def acceptance_compare(*, user, acceptance: RiskAcceptance, a: int, b: int) -> Comparison:
    """Versions `a` and `b` (history ids): the state and every content field that differs."""
    require_reader(user)
    records = {
        r.history_id: r
        for r in RiskAcceptance.history.filter(
            id=acceptance.pk, history_id__in=[a, b]
        ).select_related("history_user")
    }
    if a not in records or b not in records:
        raise Http404("No such version of this acceptance.")
    old, new = _version(records[a]), _version(records[b])
    changes: list[FieldChange] = []
    states = dict(RiskAcceptance.State.choices)
    for name, label in (("state", "State"), ("state_reason", "State reason")):
        before, after = getattr(old.record, name), getattr(new.record, name)
        if before != after:
            if name == "state":
                before, after = states.get(before, before), states.get(after, after)
            changes.append(FieldChange(name, label, readable(before), readable(after)))
    doc_a, doc_b = old.document or {}, new.document or {}
    ids = {
        ref["id"]
        for doc in (doc_a, doc_b)
        for ref in [doc.get("owner")]
        + [m["owner"] for m in doc.get("mitigations", [])]
        + [s["user"] for s in doc.get("signatories", [])]
        if ref
    }
    people = {u.pk: u.printed_name for u in get_user_model().objects.filter(pk__in=ids)}
    for name, label in FIELD_LABELS.items():
        before, after = doc_a.get(name), doc_b.get(name)
        if before == after:
            continue
        text_a, text_b = _lines(name, before, people), _lines(name, after, people)
        if name in LONG_TEXT or name in {"mitigations", "signatories", "decisions"}:
            changes.append(FieldChange(name, label, text_a, text_b, _text_diff(text_a, text_b)))
        else:
            changes.append(FieldChange(name, label, text_a, text_b))
    return Comparison(a=old, b=new, changes=changes)

"""The ledger chain: one append-only, keyed chain of events per risk acceptance.

Every service that writes to an acceptance, its mitigations, signatories, signatures or
signing attempts ends with `chain_record(...)`, in the same transaction and under the
acceptance's row lock. The event holds

- `facts`: what happened (kind-specific: the signature, the round, the reason…);
- `state`: each section of the document's stored state (`acceptance_snapshot`: every
  signed field and the rendered HTML signers see, mitigations, signatories, signatures
  with their void flags, signing attempts) that differs from the chain's last record;
- `history`: a per-field digest of every simple-history row of those objects not sealed
  yet (`HISTORY_SOURCES`), so an edited or deleted history row is found too.

Each event's MAC (risks.signing.event_mac) covers its columns and the previous event's
MAC, with a key that is not in the database. risks.ledger_verify replays the chain and
compares it with the tables; risks.ledger_checkpoint writes the heads outside the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from .ledger_models import LedgerEvent
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature, SigningAttempt
from .signing import canonical_json, event_mac, field_digest, sealing_key, sha256_hex

ACCEPTANCE_FIELDS = (
    "title",
    "finding_source",
    "finding_reference",
    "risk_statement",
    "likelihood",
    "impact",
    "scope",
    "residual_risk",
    "owner_id",
    "expires_on",
    "state",
    "state_reason",
    "state_changed_at",
    "submitted_by_id",
    "submitted_at",
    "signing_round",
    "created_by_id",
    "created_at",
    # What signers actually see: the rendered, sanitised HTML.
    "risk_statement_html",
    "scope_html",
    "residual_risk_html",
)
HTML_FIELDS = ("risk_statement_html", "scope_html", "residual_risk_html")
# Section name → (model, fields, label of one row) for the rows that belong to a document.
ROW_SECTIONS: dict[str, tuple[type[models.Model], tuple[str, ...], str]] = {
    "mitigations": (
        Mitigation,
        ("position", "description", "status", "owner_id", "due_on"),
        "mitigation",
    ),
    "signatories": (RequiredSignatory, ("position", "user_id", "meaning"), "signatory line"),
    "signatures": (
        Signature,
        (
            "signatory_id",
            "user_id",
            "printed_name",
            "meaning",
            "verdict",
            "reason",
            "signed_at",
            "auth_method",
            "content_digest",
            "signing_round",
            "previous_hash",
            "signature_hash",
            "void",
            "voided_at",
            "void_reason",
        ),
        "signature",
    ),
    "attempts": (SigningAttempt, ("user_id", "at", "succeeded", "ip_address"), "signing attempt"),
}


def _history_sources() -> list[tuple[str, type[models.Model], str, str]]:
    """(label, historical model, column naming the acceptance, what a row is of)."""
    return [
        ("risks.historicalriskacceptance", RiskAcceptance.history.model, "id", "acceptance"),
        (
            "risks.historicalriskacceptance_decisions",
            apps.get_model("risks", "HistoricalRiskAcceptance_decisions"),
            "riskacceptance_id",
            "decision link",
        ),
        ("risks.historicalmitigation", Mitigation.history.model, "acceptance_id", "mitigation"),
        (
            "risks.historicalrequiredsignatory",
            RequiredSignatory.history.model,
            "acceptance_id",
            "signatory line",
        ),
        ("risks.historicalsignature", Signature.history.model, "acceptance_id", "signature"),
        (
            "risks.historicalsigningattempt",
            SigningAttempt.history.model,
            "acceptance_id",
            "signing attempt",
        ),
    ]


def _normal(data: Any) -> Any:
    """The value as it reads back from a stored payload (JSON types only)."""
    return json.loads(canonical_json(data))


def acceptance_snapshot(acceptance_id: int) -> dict[str, Any] | None:
    """The stored state of one document, by section (None if the acceptance is gone)."""
    row = RiskAcceptance.objects.filter(pk=acceptance_id).values(*ACCEPTANCE_FIELDS).first()
    if row is None:
        return None
    snapshot: dict[str, Any] = {
        "acceptance": row,
        "decisions": sorted(
            RiskAcceptance.decisions.through.objects.filter(
                riskacceptance_id=acceptance_id
            ).values_list("decision_id", flat=True)
        ),
    }
    for section, (model, fields, _label) in ROW_SECTIONS.items():
        rows = (
            model._default_manager.filter(acceptance_id=acceptance_id)
            .order_by("pk")
            .values("pk", *fields)
        )
        snapshot[section] = {str(r.pop("pk")): r for r in rows}
    return _normal(snapshot)


def html_digest(acceptance_id: int) -> str:
    """The digest of the rendered HTML signers saw (recorded with each signature)."""
    row = RiskAcceptance.objects.filter(pk=acceptance_id).values(*HTML_FIELDS).first() or {}
    return sha256_hex(canonical_json(row))


def history_rows(acceptance_id: int) -> dict[str, dict[str, dict[str, str]]]:
    """Every history row of the document's objects, as {label: {pk: {field: digest}}}."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for label, model, column, _of in _history_sources():
        names = [f.attname for f in model._meta.concrete_fields]
        pk = model._meta.pk.attname
        rows = model._default_manager.filter(**{column: acceptance_id}).order_by(pk).values(*names)
        found[label] = {
            str(r[pk]): {name: field_digest(plain_value) for name, plain_value in r.items()}
            for r in _normal(list(rows))
        }
    return found


@dataclass
class ChainState:
    """The chain of one acceptance as replayed so far."""

    last: LedgerEvent | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    section_seq: dict[str, int] = field(default_factory=dict)
    sealed: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    sealed_seq: dict[tuple[str, str], int] = field(default_factory=dict)

    def apply(self, event: LedgerEvent, payload: dict[str, Any]) -> None:
        for section, value in (payload.get("state") or {}).items():
            self.sections[section] = value
            self.section_seq[section] = event.seq
        for label, rows in (payload.get("history") or {}).items():
            self.sealed.setdefault(label, {}).update(rows)
            for pk in rows:
                self.sealed_seq[(label, pk)] = event.seq
        self.last = event


def _replay(acceptance_id: int) -> ChainState:
    state = ChainState()
    for event in LedgerEvent.objects.filter(acceptance_id=acceptance_id).order_by("seq"):
        state.apply(event, json.loads(event.payload))
    return state


def _lock(acceptance_id: int) -> None:
    # Serialises appends to one chain (services already hold this lock: re-taking is free).
    list(RiskAcceptance.objects.select_for_update().filter(pk=acceptance_id).values_list("pk"))


def chain_record(
    acceptance: RiskAcceptance | int,
    *,
    kind: str,
    actor=None,
    facts: dict[str, Any] | None = None,
    only_if_changed: bool = False,
) -> LedgerEvent | None:
    """Append one event to the acceptance's chain (call it at the end of each write).

    `only_if_changed`: skip the event when neither the document nor its history changed.
    """
    acceptance_id = acceptance if isinstance(acceptance, int) else acceptance.pk
    with transaction.atomic():
        _lock(acceptance_id)
        state = _replay(acceptance_id)
        snapshot = acceptance_snapshot(acceptance_id) or {}
        changed = {k: v for k, v in snapshot.items() if state.sections.get(k) != v}
        seals: dict[str, dict[str, dict[str, str]]] = {}
        for label, rows in history_rows(acceptance_id).items():
            new = {pk: row for pk, row in rows.items() if pk not in state.sealed.get(label, {})}
            if new:
                seals[label] = new
        if only_if_changed and not changed and not seals:
            return None
        doc = snapshot.get("acceptance") or {}
        payload = {
            "facts": {
                "state": doc.get("state"),
                "round": doc.get("signing_round"),
                **(facts or {}),
            },
            "state": changed,
            "history": seals,
        }
        key_id, key = sealing_key()
        last = state.last
        event = LedgerEvent(
            acceptance_id=acceptance_id,
            seq=last.seq + 1 if last else 1,
            kind=kind,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            payload=canonical_json(payload),
            key_id=key_id,
            previous_mac=last.mac if last else "",
        )
        event.mac = event_mac(event, key)
        event.save(force_insert=True)
        return event

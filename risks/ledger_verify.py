"""Replay every acceptance's ledger chain and compare it with the database.

Finds, and says where: events deleted, inserted, altered or recomputed without the key
(MAC and link per event); any stored field of a document, its mitigations, signatories,
signatures (void flags included) and signing attempts that differs from the chain's last
record; history rows edited, deleted or inserted; acceptances without a chain and chains
without an acceptance; what registered verifiers find (fired trigger events); and, with
risks.ledger_checkpoint, chain heads that disagree with a checkpoint written outside the
database (a rewrite with the key, or a truncation).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from config.chain_keys import ChainKeyError, ChainKeys, configured_chain_keys

from .ledger_chain import ChainState, acceptance_snapshot, history_rows
from .ledger_models import LedgerEvent
from .ledger_registry import CHAIN_VERIFIERS, ChainEvent
from .models import RiskAcceptance
from .signing import event_mac, macs_equal

SECTION_LABELS = {
    "mitigations": "mitigation",
    "signatories": "signatory line",
    "signatures": "signature",
    "attempts": "signing attempt",
}


@dataclass(frozen=True)
class Finding:
    acceptance_id: int | None
    where: str
    what: str

    def __str__(self) -> str:
        doc = f"acceptance #{self.acceptance_id}" if self.acceptance_id else "ledger"
        return f"{doc}, {self.where}: {self.what}"


@dataclass
class ChainReport:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: int = 0
    history_rows: int = 0

    def add(self, acceptance_id: int | None, where: str, what: str) -> None:
        self.findings.append(Finding(acceptance_id, where, what))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _check_event(report: ChainReport, keys: ChainKeys | None, event, expected_seq, previous):
    """MAC, link and position of one event; True when it is authentic."""
    aid, where = event.acceptance_id, f"event #{event.pk} (seq {event.seq}, {event.kind})"
    ok = True
    if event.seq != expected_seq:
        missing = f"{expected_seq}" if event.seq == expected_seq + 1 else f"{expected_seq}…"
        report.add(aid, where, f"event {missing} of the chain is missing (deleted)")
        ok = False
    if previous is not None and not macs_equal(event.previous_mac, previous.mac):
        report.add(aid, where, "not linked to the event before it (deleted, inserted or edited)")
        ok = False
    if keys is not None:
        key = keys.keys.get(event.key_id)
        if key is None:
            report.add(
                aid,
                where,
                f"sealed with key '{event.key_id}', which is not configured in "
                "LEDGER_CHAIN_KEYS: it cannot be checked",
            )
            ok = False
        elif not macs_equal(event_mac(event, key), event.mac):
            report.add(
                aid,
                where,
                "MAC does not match: the event was altered, or the chain recomputed "
                "without the key",
            )
            ok = False
    return ok


def _compare_rows(report, aid, label, expected: dict, actual: dict, seq: int | None) -> None:
    sealed = f" (the chain, event seq {seq}, has it)" if seq else ""
    for pk in sorted(set(expected) | set(actual), key=lambda k: int(k)):
        where = f"{label} #{pk}"
        if pk not in actual:
            report.add(aid, where, f"deleted from the database{sealed}")
        elif pk not in expected:
            report.add(aid, where, "not in the chain: inserted outside the services")
        else:
            _compare_fields(report, aid, where, expected[pk], actual[pk], seq)


def _compare_fields(report, aid, where, expected: dict, actual: dict, seq) -> None:
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            report.add(
                aid,
                f"{where}, field {name}",
                f"the database has {_show(actual.get(name))}, the chain (event seq {seq}) "
                f"has {_show(expected.get(name))}",
            )


def _compare_snapshot(report: ChainReport, aid: int, state: ChainState, now: dict) -> None:
    for section, actual in now.items():
        expected = state.sections.get(section)
        seq = state.section_seq.get(section)
        if expected == actual:
            continue
        if section == "acceptance":
            _compare_fields(report, aid, "acceptance row", expected or {}, actual, seq)
        elif section == "decisions":
            report.add(
                aid,
                "linked decisions",
                f"the database links {actual}, the chain (event seq {seq}) has {expected}",
            )
        else:
            _compare_rows(
                report, aid, SECTION_LABELS.get(section, section), expected or {}, actual, seq
            )


def _compare_history(report: ChainReport, aid: int, state: ChainState) -> None:
    for label, rows in history_rows(aid).items():
        report.history_rows += len(rows)
        sealed = state.sealed.get(label, {})
        for pk in sorted(set(sealed) | set(rows), key=lambda k: int(k)):
            where = f"history {label} row #{pk}"
            if pk not in rows:
                seq = state.sealed_seq.get((label, pk))
                report.add(aid, where, f"deleted (sealed in event seq {seq})")
            elif pk not in sealed:
                report.add(
                    aid, where, "not sealed in the chain: inserted or written outside the services"
                )
            else:
                # Only the sealed fields: a column added by a later migration is not news.
                for name in sorted(sealed[pk]):
                    if sealed[pk][name] != rows[pk].get(name):
                        report.add(
                            aid,
                            f"{where}, field {name}",
                            "altered since it was sealed"
                            if name in rows[pk]
                            else "the column is gone",
                        )


def verify_chains() -> ChainReport:
    report = ChainReport()
    try:
        keys = configured_chain_keys()
    except ChainKeyError as exc:
        keys = None
        report.add(None, "LEDGER_CHAIN_KEYS", f"unusable ({exc}): no event MAC can be checked")
    else:
        if keys is None:
            report.add(
                None,
                "LEDGER_CHAIN_KEYS",
                "no chain key is configured: no event MAC can be checked, so a full "
                "recomputation of the ledger would go unseen",
            )
    events_by_chain: dict[int, list] = defaultdict(list)
    for event in LedgerEvent.objects.order_by("acceptance_id", "seq", "pk"):
        events_by_chain[event.acceptance_id].append(event)
        report.events += 1
    acceptance_ids = set(RiskAcceptance.objects.values_list("pk", flat=True))

    for aid in sorted(acceptance_ids - set(events_by_chain)):
        report.add(
            aid,
            "ledger chain",
            "the acceptance has no chain: it was inserted outside the services (or before "
            "the chain existed and `manage.py ledger_start_chains` was not run)",
        )
    for aid in sorted(events_by_chain):
        events = events_by_chain[aid]
        state = ChainState()
        views: list[ChainEvent] = []
        previous = None
        for expected_seq, event in enumerate(events, start=1):
            if previous is not None and event.seq != previous.seq + 1:
                expected_seq = previous.seq + 1
            authentic = _check_event(report, keys, event, expected_seq, previous)
            if previous is None and event.seq != 1:
                authentic = False
            try:
                payload = json.loads(event.payload)
            except ValueError:
                report.add(aid, f"event #{event.pk}", "the payload is not JSON")
                payload = {}
            state.apply(event, payload)
            views.append(
                ChainEvent(
                    pk=event.pk,
                    seq=event.seq,
                    kind=event.kind,
                    at=event.at,
                    actor_id=event.actor_id,
                    facts=payload.get("facts") or {},
                    authentic=authentic,
                )
            )
            previous = event
        if aid not in acceptance_ids:
            report.add(aid, "acceptance row", f"deleted (its chain has {len(events)} events)")
            continue
        _compare_snapshot(report, aid, state, acceptance_snapshot(aid) or {})
        _compare_history(report, aid, state)
        for verifier in CHAIN_VERIFIERS:
            for finding in verifier(acceptance_id=aid, events=views):
                report.add(aid, finding.where, finding.what)
    return report

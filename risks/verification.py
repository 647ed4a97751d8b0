"""Recompute every acceptance's digest and every signature chain (verify_ledger).

The signature checks below are the original ones; risks.ledger_verify adds the keyed
ledger chain (every signed fact, history included) and risks.ledger_checkpoint the
checkpoints written outside the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ledger_checkpoint import checkpoint_check
from .ledger_verify import verify_chains
from .models import RequiredSignatory, RiskAcceptance, Signature
from .signing import acceptance_digest, signature_compute_hash
from .workflow import SIGNED_STATES


@dataclass(frozen=True)
class Problem:
    acceptance: RiskAcceptance
    signature: Signature | None
    what: str

    def __str__(self) -> str:
        a = self.acceptance
        doc = f"acceptance #{a.pk} “{a.title}” ({a.state})"
        if self.signature is None:
            return f"{doc}: {self.what}"
        sig = self.signature
        who = f"signature #{sig.pk} by {sig.printed_name} ({sig.meaning}, {sig.verdict})"
        return f"{doc}, {who}: {self.what}"


@dataclass
class Report:
    acceptances: int
    signatures: int
    problems: list  # Problem, or a ledger_verify / ledger_checkpoint finding
    warnings: list[str] = field(default_factory=list)
    events: int = 0
    history_rows: int = 0
    checkpoint_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _short(digest: str) -> str:
    return digest[:16] + "…" if digest else "(empty)"


def verify_ledger(*, checkpoint_dir: str | None = None) -> Report:
    problems: list = []
    acceptances = list(RiskAcceptance.objects.order_by("pk"))
    signatures_by_doc: dict[int, list[Signature]] = {}
    for sig in Signature.objects.order_by("acceptance_id", "id"):
        signatures_by_doc.setdefault(sig.acceptance_id, []).append(sig)
    lines_by_doc: dict[int, set[int]] = {}
    for acceptance_id, user_id in RequiredSignatory.objects.values_list("acceptance_id", "user_id"):
        lines_by_doc.setdefault(acceptance_id, set()).add(user_id)

    for acceptance in acceptances:
        signatures = signatures_by_doc.get(acceptance.pk, [])
        # 1. The chain: each signature's own hash, and its link to the one before.
        previous = ""
        for sig in signatures:
            if sig.previous_hash != previous:
                problems.append(
                    Problem(
                        acceptance,
                        sig,
                        f"chain broken: previous_hash is {_short(sig.previous_hash)} but the "
                        f"signature before it hashes to {_short(previous)}",
                    )
                )
            recomputed = signature_compute_hash(sig)
            if recomputed != sig.signature_hash:
                problems.append(
                    Problem(
                        acceptance,
                        sig,
                        f"signature record altered: stored hash {_short(sig.signature_hash)}, "
                        f"its fields hash to {_short(recomputed)}",
                    )
                )
            previous = sig.signature_hash
        # 2. Valid signatures must be bound to the content as it is now.
        if acceptance.state not in SIGNED_STATES:
            continue
        digest = acceptance_digest(acceptance)
        valid = [s for s in signatures if not s.void]
        for sig in valid:
            if sig.content_digest != digest:
                problems.append(
                    Problem(
                        acceptance,
                        sig,
                        f"signed content {_short(sig.content_digest)} but the document now "
                        f"hashes to {_short(digest)} (content changed without voiding)",
                    )
                )
        # 3. An accepted document has a valid approval from every named signatory.
        if acceptance.state == RiskAcceptance.State.ACCEPTED:
            approved = {s.user_id for s in valid if s.verdict == Signature.Verdict.APPROVE}
            missing = lines_by_doc.get(acceptance.pk, set()) - approved
            if missing or not lines_by_doc.get(acceptance.pk):
                problems.append(
                    Problem(
                        acceptance,
                        None,
                        f"accepted without a valid approval from {len(missing)} named "
                        f"signator{'y' if len(missing) == 1 else 'ies'}",
                    )
                )
    chains = verify_chains()
    checkpoint_findings, checkpoint_warnings, lines = checkpoint_check(checkpoint_dir)
    return Report(
        acceptances=len(acceptances),
        signatures=sum(len(v) for v in signatures_by_doc.values()),
        problems=problems + chains.findings + checkpoint_findings,
        warnings=chains.warnings + checkpoint_warnings,
        events=chains.events,
        history_rows=chains.history_rows,
        checkpoint_lines=lines,
    )

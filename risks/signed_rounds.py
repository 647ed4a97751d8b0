"""An acceptance "as signed in round N": the content of that round, from history.

`risks.signing.acceptance_canonical` hashes what is stored *now*. Here the same
canonical form is rebuilt from the history rows as they stood when the round's
first signature was written, so an auditor can read what each signatory signed
and see that its SHA-256 is the `content_digest` on their signatures — or that it
is not (a history row or a digest edited behind the application's back).

Read-only: nothing here writes, and the signing code is not touched. A test keeps
`canonical_as_of(now)` equal to `acceptance_canonical` so the two cannot drift.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import Http404

from adr.models import Decision
from config.accounts.roles import require_reader
from config.changesets import records_as_of

from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature
from .signing import acceptance_document, document_bytes


def document_as_of(
    acceptance_id: int, at: datetime | None = None, *, before: datetime | None = None
) -> tuple[dict | None, Any]:
    """(the canonical document as stored at `at` — or just before `before` —, the
    acceptance's history record then)."""
    records = RiskAcceptance.history.filter(id=acceptance_id)
    if at is not None:
        records = records.filter(history_date__lte=at)
    if before is not None:
        records = records.filter(history_date__lt=before)
    record = records.order_by("-history_date", "-history_id").first()
    if record is None or record.history_type == "-":
        return None, record
    mitigations = sorted(
        records_as_of(Mitigation.history.filter(acceptance_id=acceptance_id), at, before=before),
        key=lambda r: (r.position, r.id),
    )
    signatories = sorted(
        records_as_of(
            RequiredSignatory.history.filter(acceptance_id=acceptance_id), at, before=before
        ),
        key=lambda r: (r.position, r.id),
    )
    # simple-history declares the M2M history model when the app loads.
    from .models import HistoricalRiskAcceptance_decisions as through  # type: ignore[attr-defined]

    decision_ids = through.objects.filter(history_id=record.history_id).values_list(
        "decision_id", flat=True
    )
    decisions = list(
        Decision.objects.filter(pk__in=list(decision_ids))
        .order_by("pk")
        .values_list("pk", "log__key", "number")
    )
    doc = acceptance_document(
        record,
        acceptance_id=acceptance_id,
        decisions=decisions,
        mitigations=mitigations,
        signatories=signatories,
    )
    return doc, record


def canonical_as_of(acceptance_id: int, at: datetime) -> bytes:
    doc, _ = document_as_of(acceptance_id, at)
    return document_bytes(doc) if doc is not None else b""


@dataclass
class SignedRound:
    number: int
    at: datetime | None  # the moment the content is read at
    document: dict | None
    record: Any  # the acceptance's history record at that moment
    canonical: str
    digest: str
    signatures: list[Signature] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        """Every signature of the round signed exactly this content."""
        return bool(self.signatures) and all(
            s.content_digest == self.digest for s in self.signatures
        )

    @property
    def pretty(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False, sort_keys=True)


def signing_rounds(acceptance: RiskAcceptance) -> list[int]:
    """The rounds in which anyone signed (or declined), oldest first (one query)."""
    return sorted(
        set(
            Signature.objects.filter(acceptance_id=acceptance.pk).values_list(
                "signing_round", flat=True
            )
        )
    )


def signed_round(*, user, acceptance: RiskAcceptance, number: int) -> SignedRound:
    """The content as signed in round `number`, its digest and that round's signatures."""
    require_reader(user)
    signatures = list(
        Signature.objects.filter(acceptance_id=acceptance.pk, signing_round=number).order_by(
            "signed_at", "id"
        )
    )
    if not signatures:
        raise Http404("Nobody signed in that round.")
    # The history clock, not the signature's own field: the moment the first signature's
    # row was written, when the content it covers had been committed.
    written = (
        Signature.history.filter(id__in=[s.pk for s in signatures], history_type="+")
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    at = written or signatures[0].signed_at
    doc, record = document_as_of(acceptance.pk, at)
    canonical = document_bytes(doc) if doc is not None else b""
    return SignedRound(
        number=number,
        at=at,
        document=doc,
        record=record,
        canonical=canonical.decode(),
        digest=hashlib.sha256(canonical).hexdigest(),
        signatures=signatures,
    )


def print_sections(acceptance: RiskAcceptance) -> dict:
    """The audit file's order: the valid signature set first; void signatures after
    the document, by round (newest first), as an appendix. From prefetched rows."""
    signatures = sorted(acceptance.signatures.all(), key=lambda s: (s.signed_at, s.pk))
    void = [s for s in signatures if s.void]
    rounds: dict[int, list[Signature]] = {}
    for s in sorted(void, key=lambda s: -s.signing_round):
        rounds.setdefault(s.signing_round, []).append(s)
    return {
        "valid_signatures": [s for s in signatures if not s.void],
        "void_rounds": [{"grouper": n, "list": rows} for n, rows in rounds.items()],
    }

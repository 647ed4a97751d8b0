"""Canonical form, digests and keyed MACs: of an acceptance's signed content, of a
signature, and of the ledger chain's events.

A signature is bound to the SHA-256 of the canonical content (`acceptance_canonical`)
and chained to the previous signature of the same document (`signature_hash`); the
services sign with these, `verify_ledger` checks with them.

One canonical JSON (sorted keys, no spaces, UTF-8) for everything that is hashed or
MACed, so the same facts always give the same bytes. MACs are HMAC-SHA256 with a key
from the environment (config/chain_keys.py), named by its id in every sealed record.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from adr.models import Decision
from config.chain_keys import ChainKeys, configured_chain_keys

from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature


def plain(value: Any) -> Any:
    """A JSON-ready form of a database value (instants in UTC with microseconds)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical_json(data: Any) -> str:
    return json.dumps(plain(data), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_hex(text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode()
    return hashlib.sha256(text).hexdigest()


def field_digest(value: Any) -> str:
    """A short digest of one value (history seals name the field that changed)."""
    return sha256_hex(canonical_json(value))[:20]


def mac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def macs_equal(a: str, b: str) -> bool:
    return hmac.compare_digest((a or "").encode(), (b or "").encode())


def keys_or_none() -> ChainKeys | None:
    """The configured keys, or None when there are none or they are unusable."""
    try:
        return configured_chain_keys()
    except ValueError:
        return None


def sealing_key() -> tuple[str, bytes]:
    """(key id, key) for new seals; refuses to seal without a key (ledger.E015)."""
    try:
        keys = configured_chain_keys()
    except ValueError as exc:
        raise ImproperlyConfigured(f"LEDGER_CHAIN_KEYS is unusable: {exc}") from exc
    if keys is None:
        raise ImproperlyConfigured("LEDGER_CHAIN_KEYS is empty: the ledger cannot be sealed.")
    return keys.current_id, keys.current


def event_message(
    *,
    chain: int,
    seq: int,
    kind: str,
    at: datetime,
    actor_id: int | None,
    payload: str,
    previous_mac: str,
    key_id: str,
) -> str:
    """What an event's MAC covers: every column of the event, the previous MAC included."""
    return canonical_json(
        {
            "v": 1,
            "chain": chain,
            "seq": seq,
            "kind": kind,
            "at": at,
            "actor": actor_id,
            "payload": payload,
            "prev": previous_mac,
            "kid": key_id,
        }
    )


def event_mac(event, key: bytes) -> str:
    """The MAC of a LedgerEvent (or anything with its columns) under `key`."""
    return mac_hex(
        key,
        event_message(
            chain=event.acceptance_id,
            seq=event.seq,
            kind=event.kind,
            at=event.at,
            actor_id=event.actor_id,
            payload=event.payload,
            previous_mac=event.previous_mac,
            key_id=event.key_id,
        ),
    )


# --- Signed content and signatures ---------------------------------------------------


def _user_ref(user_id: int | None, usernames: dict[int, str]) -> dict | None:
    if user_id is None:
        return None
    return {"id": user_id, "username": usernames.get(user_id, "")}


def acceptance_document(
    row: Any,
    *,
    acceptance_id: int,
    decisions: list[tuple[int, str, int]],
    mitigations: list,
    signatories: list,
) -> dict:
    """The canonical document of `row` (the acceptance, or one of its history records)
    with its lists in rendered order: what a signature's content digest covers.
    Mitigations and signatories are objects with the model's attributes (rows or
    history records); decisions are (pk, log key, number)."""
    user_ids = {row.owner_id}
    user_ids |= {m.owner_id for m in mitigations if m.owner_id}
    user_ids |= {s.user_id for s in signatories}
    usernames = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    return {
        "document": "risk-acceptance",
        "id": acceptance_id,
        "title": row.title,
        "finding_source": row.finding_source,
        "finding_reference": row.finding_reference,
        "risk_statement": row.risk_statement,
        "likelihood": row.likelihood,
        "impact": row.impact,
        "scope": row.scope,
        "residual_risk": row.residual_risk,
        "owner": _user_ref(row.owner_id, usernames),
        "expires_on": row.expires_on.isoformat() if row.expires_on else None,
        "decisions": [
            {"id": pk, "reference": f"{key}-{number:04d}"} for pk, key, number in decisions
        ],
        "mitigations": [
            {
                "description": m.description,
                "status": m.status,
                "owner": _user_ref(m.owner_id, usernames),
                "due_on": m.due_on.isoformat() if m.due_on else None,
            }
            for m in mitigations
        ],
        "signatories": [
            {"user": _user_ref(s.user_id, usernames), "meaning": s.meaning} for s in signatories
        ],
    }


def document_bytes(doc: dict) -> bytes:
    """The canonical bytes of a document (sorted keys, no spaces, UTF-8)."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def acceptance_canonical(acceptance: RiskAcceptance) -> bytes:
    """Stable JSON of every signed field, mitigations and signatories included.

    Always read fresh from the database (never from prefetch caches) so that what is
    hashed is what is stored. Lists keep the rendered order (position, id); keys sorted.
    """
    mitigations = Mitigation.objects.filter(acceptance_id=acceptance.pk).order_by("position", "id")
    signatories = RequiredSignatory.objects.filter(acceptance_id=acceptance.pk).order_by(
        "position", "id"
    )
    decisions = list(
        Decision.objects.filter(risk_acceptances__pk=acceptance.pk)
        .order_by("pk")
        .values_list("pk", "log__key", "number")
    )
    doc = acceptance_document(
        acceptance,
        acceptance_id=acceptance.pk,
        decisions=decisions,
        mitigations=list(mitigations),
        signatories=list(signatories),
    )
    return document_bytes(doc)


def acceptance_digest(acceptance: RiskAcceptance) -> str:
    return hashlib.sha256(acceptance_canonical(acceptance)).hexdigest()


def signature_canonical(signature: Signature) -> bytes:
    """What a signature's own hash covers: everything it attests, and the previous hash.

    Not `void`/`voided_at`: voiding is a later, recorded event, not part of the act.
    """
    signed_at = signature.signed_at.astimezone(UTC).isoformat(timespec="microseconds")
    doc = {
        "acceptance": signature.acceptance_id,
        "user": signature.user_id,
        "printed_name": signature.printed_name,
        "meaning": signature.meaning,
        "verdict": signature.verdict,
        "reason": signature.reason,
        "signed_at": signed_at,
        "auth_method": signature.auth_method,
        "content_digest": signature.content_digest,
        "signing_round": signature.signing_round,
        "previous_hash": signature.previous_hash,
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def signature_compute_hash(signature: Signature) -> str:
    return hashlib.sha256(signature_canonical(signature)).hexdigest()

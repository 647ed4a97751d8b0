"""Canonical form, digests and keyed MACs for the ledger chain.

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

from django.core.exceptions import ImproperlyConfigured

from config.chain_keys import ChainKeys, configured_chain_keys


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

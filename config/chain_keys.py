"""The ledger chain's HMAC keys: read from the environment, never from the database.

`LEDGER_CHAIN_KEYS` is a comma-separated list of `key-id:base64-secret` pairs, e.g.
`"2026b:…,2026a:…"`; `LEDGER_CHAIN_KEY_ID` names the key new events are sealed with
(default: the first listed). Every event stores the id of its key, so a key can be
rotated by adding a new one in front and keeping the old ones for verification.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from django.conf import settings

MIN_KEY_BYTES = 32
KEY_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
# The fixed key of the dev and test settings: public, so production refuses it (ledger.E015).
DEV_CHAIN_KEY_ID = "dev"
DEV_CHAIN_KEYS = "dev:ZGVjaXNpb24tbGVkZ2VyLWRldmVsb3BtZW50LWNoYWluLWtleS1ub3Qtc2VjcmV0"


class ChainKeyError(ValueError):
    """The configured chain keys cannot be used (the message says why)."""


@dataclass(frozen=True)
class ChainKeys:
    keys: dict[str, bytes]
    current_id: str

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def parse_chain_keys(raw: str, current_id: str = "") -> ChainKeys | None:
    """None when no key is configured; ChainKeyError when one is malformed."""
    keys: dict[str, bytes] = {}
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        kid = kid.strip()
        if not sep or not KEY_ID_RE.match(kid):
            raise ChainKeyError(f"'{kid[:40]}…' is not 'key-id:base64-secret'.")
        try:
            text = secret.strip().replace("-", "+").replace("_", "/")  # url-safe too
            value = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ChainKeyError(f"the secret of key '{kid}' is not base64.") from exc
        if len(value) < MIN_KEY_BYTES:
            raise ChainKeyError(f"key '{kid}' has {len(value)} bytes; {MIN_KEY_BYTES} at least.")
        if kid in keys:
            raise ChainKeyError(f"key id '{kid}' is listed twice.")
        keys[kid] = value
    if not keys:
        return None
    current = (current_id or "").strip() or next(iter(keys))
    if current not in keys:
        raise ChainKeyError(f"LEDGER_CHAIN_KEY_ID '{current}' is not among LEDGER_CHAIN_KEYS.")
    return ChainKeys(keys=keys, current_id=current)


def configured_chain_keys() -> ChainKeys | None:
    return parse_chain_keys(
        getattr(settings, "LEDGER_CHAIN_KEYS", ""), getattr(settings, "LEDGER_CHAIN_KEY_ID", "")
    )

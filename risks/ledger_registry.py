"""What other apps add to the ledger chain's verification, so risks never imports them.

The triggers app registers a `ChainVerifier` (in its AppConfig.ready) that checks the
fired events it chained into acceptances (`trigger.fired` events) still exist as chained.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ChainEvent:
    """A verified event of one acceptance's chain (MAC and link already checked)."""

    pk: int
    seq: int
    kind: str
    at: datetime
    actor_id: int | None
    facts: dict[str, Any]
    authentic: bool  # False when its MAC or link failed (verifiers may still read it)


@dataclass(frozen=True)
class ChainFinding:
    """Where (e.g. "fired event #7 of trigger #3") and what is wrong."""

    where: str
    what: str


class ChainVerifier(Protocol):
    def __call__(
        self, *, acceptance_id: int, events: Sequence[ChainEvent]
    ) -> Iterable[ChainFinding]: ...


CHAIN_VERIFIERS: list[ChainVerifier] = []


def register_chain_verifier(verifier: ChainVerifier) -> None:
    if verifier not in CHAIN_VERIFIERS:
        CHAIN_VERIFIERS.append(verifier)

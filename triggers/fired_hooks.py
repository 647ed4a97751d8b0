"""What else happens when triggers fire: a registry later packages add to.

`Work.flush()` (triggers/sweep.py) calls :func:`announce` with the fired events it just
wrote, inside the same transaction, after the emails were queued. A hook
(`hook(events=[FiredEvent, …])`) writes its own outbox rows there, so they exist exactly
when the events do; it sends nothing itself (sending is a task enqueued on commit).
The triggers' related rows (`decisions__log`, `sensitivity_note__decision__log`) are
already prefetched on `event.trigger`.

Registered today: chat and webhook channels (`triggers.channels`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from config.registry import Registry

FIRED: Registry[Callable[..., Any]] = Registry(
    "triggers.fired", "hook(events=[FiredEvent, …]) after fired events are written"
)


def announce(events: Sequence[Any]) -> None:
    """Run every registered hook on `events` (nothing when none fired)."""
    if not events:
        return
    for hook in FIRED:
        hook(events=list(events))

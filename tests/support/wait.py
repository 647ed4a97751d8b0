"""Waiting for another process (a Celery worker, a server) to reach a state.

This is polling for an outcome with a deadline, never a way to force a race: tests
that race two writers synchronise them with barriers or locks (tests/support/race.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from threading import Event
from typing import TypeVar

T = TypeVar("T")


def poll(
    check: Callable[[], T], *, timeout: float, every: float = 0.1, stop: Event | None = None
) -> T | None:
    """Call `check` every `every` seconds until it returns something truthy (returned),
    `timeout` passes or `stop` is set (None). The one place tests wait on another
    process's state; the pause between looks is an Event wait, so `stop` ends it at once."""
    pause = stop or Event()
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline or pause.wait(every):
            return None


def wait_until(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """Call `check` until it returns something truthy (returned), or fail after
    `timeout` seconds saying `what` never happened."""
    result = poll(check, timeout=timeout, every=every)
    if not result:
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
    return result

"""Waiting for another process (a Celery worker, a server) to reach a state.

This is polling for an outcome with a deadline, never a way to force a race: tests
that race two writers synchronise them with barriers or locks (tests/support/race.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1) -> T:
    """Call `check` until it returns something truthy (returned), or fail after
    `timeout` seconds saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)

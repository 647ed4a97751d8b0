"""Force two writers to meet on one row (PostgreSQL, one connection per thread).

`queued_on_row_lock(model, pk, *writers)`: the test's own connection locks the row;
each writer runs in a thread with its own connection, and is released only once
PostgreSQL shows every writer waiting on a lock — so they really were concurrent (the
test asserts it); then the row is released and the writers proceed in turn.
No sleeps: the test waits for a condition PostgreSQL reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

TIMEOUT = 30


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def lock_waiters() -> int:
    """Other backends of this database waiting for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL shows the first snapshot of pg_stat_activity
        # again and again (the statistics are cached per transaction): take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def wait_for_lock_waiters(count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while lock_waiters() < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} writer(s) never queued on the row lock")


def queued_on_row_lock(
    model, pk, *writers: Callable[[], Any], holder: Callable[[], Any] | None = None
) -> list[Outcome]:
    """Run `writers` in threads, all queued on the lock of row `pk` of `model` at once.

    Each writer is `load` then `write`: pass a callable that returns the write callable
    (it loads in its own connection before the lock is contended). `holder`, if given,
    runs inside the transaction holding the lock (e.g. a sweep setting a flag), and
    commits before the writers go on."""
    outcomes = [Outcome() for _ in writers]
    loaded = threading.Barrier(len(writers) + 1, timeout=TIMEOUT)

    def run(index: int, writer) -> None:
        try:
            write = writer()  # load, e.g. read the version a page would show
            loaded.wait()
            outcomes[index].value = write()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[index].error = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writers)]
    with transaction.atomic():
        model._default_manager.select_for_update().get(pk=pk)
        if holder is not None:
            holder()
        for thread in threads:
            thread.start()
        loaded.wait()
        wait_for_lock_waiters(len(writers))
    for thread in threads:
        thread.join(timeout=TIMEOUT)
        assert not thread.is_alive(), "a writer never finished"
    return outcomes

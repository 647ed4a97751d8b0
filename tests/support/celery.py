"""Run a real Celery worker (and beat) in a subprocess against the test database.

Use from tests marked `django_db(transaction=True)` so that the worker sees
committed rows. The broker is the Redis in CELERY_BROKER_URL (see conftest's
`require_redis`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from django.db import connection, transaction

from config.notifications.services import notification_enqueue
from tests.support.smtp import SmtpSink
from tests.support.wait import poll

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "config"]


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user = s.get("USER") or "postgres"
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        auth = user + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{host}:{port}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def worker_env(*, broker_url: str, email_url: str | None = None, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "PYTHONUNBUFFERED": "1",
        }
    )
    if email_url:
        env["EMAIL_URL"] = email_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _purge(broker_url: str) -> None:
    subprocess.run(
        [*CELERY, "purge", "-f"],
        cwd=ROOT,
        env=worker_env(broker_url=broker_url),
        capture_output=True,
        timeout=60,
        check=False,
    )


@contextmanager
def celery_processes(
    *, broker_url: str, email_url: str | None = None, beat: bool = False, **extra: str
):
    """Start a worker (and optionally beat); yield the Popen objects; stop them after."""
    _purge(broker_url)
    env = worker_env(broker_url=broker_url, email_url=email_url, **extra)
    logdir = Path(tempfile.mkdtemp(prefix="ledger-celery-"))

    def spawn(name: str, *args: str) -> subprocess.Popen:
        # The child keeps its own copy of the log's file descriptor.
        with open(logdir / f"{name}.log", "w") as log:
            return subprocess.Popen(
                [*CELERY, name, "--loglevel=INFO", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    procs = [
        spawn(
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=test-{os.getpid()}@%h",
        )
    ]
    if beat:
        procs.append(spawn("beat", f"--schedule={logdir / 'beat-schedule'}"))
    try:
        _wait_ready(logdir / "worker.log", procs[0])
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        print(f"celery logs in {logdir}")


def _wait_ready(log: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    def ready_or_gone() -> bool:
        return proc.poll() is not None or (
            log.exists() and "ready." in log.read_text(errors="replace")
        )

    if not poll(ready_or_gone, timeout=timeout, every=0.2) or proc.poll() is not None:
        raise AssertionError(
            f"Celery worker did not start: {log.read_text(errors='replace')[-3000:]}"
        )


def worker_caught_up(sink: SmtpSink, *, name: str, timeout: float = 60.0) -> Message:
    """Queue one marker email behind every task already on the broker and wait for it.

    The worker started here runs one task at a time (solo pool, prefetch 1) in queue
    order, so once the marker has arrived every task queued before it has run: the
    positive sign a test waits for before asserting that nothing more happened (no
    sleep). The marker goes to `marker-<name>@example.test`; leave those out of the
    test's own counts (`is_marker`).
    """
    recipient = f"marker-{name}@example.test"
    with transaction.atomic():  # nudged on commit, like every outbox row
        row = notification_enqueue(
            recipient=recipient,
            event="test.marker",
            dedupe_key=f"test:marker:{name}",
            template="test-message",
            context={"name": name},
        )
    assert row is not None, f"marker {name!r} used twice"
    return sink.wait_for_message(
        lambda m: m["To"] == recipient, what=f"the worker to reach marker {name!r}", timeout=timeout
    )


def is_marker(message: Message) -> bool:
    return str(message["To"]).startswith("marker-")

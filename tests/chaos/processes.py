"""The processes a chaos run starts, kills with SIGKILL and starts again.

- a Redis of its own (`redis-server` on a free loopback port, no persistence), so a
  "broker restart" loses whatever was queued, as a crashed broker without AOF would;
- web: gunicorn (two sync workers) serving `config.wsgi` — a real multi-process WSGI
  server whose master forks a new worker when one is killed, as in production;
- two Celery workers and one beat, each in its own process group.

Every child gets its own session, so `os.killpg` reaches a process and anything it
forked; logs go to one file per process name under `logdir`.

`revive()` is the supervisor (systemd's `Restart=always`): a process that exited when
no fault killed it — e.g. a Celery worker that gives up after a broker restart — is
counted as a crash and started again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from tests.support.smtp import free_port
from tests.support.wait import poll

ROOT = Path(__file__).resolve().parents[2]
CELERY = [sys.executable, "-m", "celery", "-A", "config"]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait(what: str, check, timeout: float) -> None:
    if not poll(check, timeout=timeout, every=0.2):
        raise RuntimeError(f"chaos: {what} did not come up within {timeout:.0f}s")


class Cluster:
    """Start with `with Cluster(env=…, logdir=…) as cluster:`; everything stops after."""

    WORKERS = ("worker1", "worker2")

    def __init__(self, *, env: dict[str, str], logdir: Path, web_workers: int = 2):
        if not shutil.which("redis-server"):
            raise RuntimeError("chaos: redis-server is not installed")
        self.logdir = logdir
        self.redis_port = free_port()
        self.web_port = free_port()
        self.web_workers = web_workers
        self.env = {
            **env,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SITE_URL": f"http://127.0.0.1:{self.web_port}",
            "PYTHONUNBUFFERED": "1",
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts: dict[str, int] = {}
        self.crashes: Counter[str] = Counter()
        self.down: set[str] = set()  # killed by a fault; the injector starts them again
        self.lock = threading.RLock()

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # -- lifecycle --
    def __enter__(self) -> Cluster:
        self.logdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start("redis")
            self.start("web")
            for name in self.WORKERS:
                self.start(name)
            self.start("beat")
            _wait("web", lambda: _port_open(self.web_port), 90)
            for name in self.WORKERS:
                self.wait_ready(name)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        with self.lock:
            self.down.update(self.procs)  # nothing is revived from here on
        for name in ["beat", *self.WORKERS, "web", "redis"]:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._killpg(name)
                proc.wait(timeout=5)

    def _command(self, name: str) -> list[str]:
        if name == "redis":
            return ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(self.logdir)]  # fmt: skip
        if name == "web":
            return [sys.executable, "-m", "gunicorn", "config.wsgi:application",
                    "--bind", f"127.0.0.1:{self.web_port}", "--workers", str(self.web_workers),
                    "--timeout", "60", "--graceful-timeout", "5"]  # fmt: skip
        if name == "beat":
            schedule = self.logdir / "beat-schedule"
            return [*CELERY, "beat", "--loglevel=INFO", f"--schedule={schedule}"]
        return [*CELERY, "worker", "--loglevel=INFO", "--pool=threads", "--concurrency=2",
                "--without-gossip", "--without-mingle", f"--hostname={name}@chaos"]  # fmt: skip

    def start(self, name: str) -> None:
        with self.lock:
            self._start(name)
            self.down.discard(name)

    def _start(self, name: str) -> None:
        self.starts[name] = self.starts.get(name, 0) + 1
        with open(self.logdir / f"{name}.log", "a") as log:
            log.write(f"\n=== chaos: start #{self.starts[name]} at {time.time():.3f}\n")
            log.flush()
            self.procs[name] = subprocess.Popen(
                self._command(name),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if name == "redis":
            _wait("redis", lambda: _port_open(self.redis_port), 30)

    def wait_ready(self, name: str, timeout: float = 120) -> None:
        """Until a Celery worker has logged `ready.` since its latest start."""
        log = self.logdir / f"{name}.log"

        def ready() -> bool:
            text = log.read_text(errors="replace")
            return "ready." in text.rsplit("=== chaos: start", 1)[-1]

        _wait(name, ready, timeout)

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    # -- faults --
    def _killpg(self, name: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.procs[name].pid, signal.SIGKILL)

    def kill(self, name: str) -> None:
        """SIGKILL a process (and what it forked); reap it. `start(name)` brings it back."""
        with self.lock:
            self.down.add(name)
            self._killpg(name)
            self.procs[name].wait(timeout=10)

    def revive(self) -> list[str]:
        """Start again every process that exited without a fault killing it."""
        revived = []
        with self.lock:
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and name not in self.down:
                    self.crashes[name] += 1
                    with open(self.logdir / f"{name}.log", "a") as log:
                        log.write(f"\n=== chaos: exited by itself (status {proc.returncode})\n")
                    self._start(name)
                    revived.append(name)
        return revived

    def web_worker_pids(self) -> list[int]:
        master = self.procs["web"].pid
        path = Path(f"/proc/{master}/task/{master}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_web_workers(self) -> int:
        """SIGKILL every gunicorn worker (the master forks new ones). Returns how many."""
        pids = self.web_worker_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def web_ready(self) -> bool:
        return len(self.web_worker_pids()) >= self.web_workers and _port_open(self.web_port)

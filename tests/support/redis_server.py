"""A Redis server of the test's own on a loopback port, to stop and start: a broker outage.

The shared Redis in CELERY_BROKER_URL serves every engineer's tests and must not be
stopped; this one is started from the same `redis-server` binary, without persistence.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from contextlib import contextmanager

from tests.conftest import _missing
from tests.support.smtp import free_port
from tests.support.wait import poll


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _missing("needs redis-server on PATH for a broker outage")
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        proc = self.proc
        # Until our process answers on the port (not another server that took the port
        # meanwhile: that one's process id differs), or exits.
        poll(
            lambda: proc.poll() is not None or self.process_id() == proc.pid,
            timeout=timeout,
            every=0.05,
        )
        if proc.poll() is not None or self.process_id() != proc.pid:
            raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.proc = None
        assert not self.answers(), "Redis still answers after being stopped"

    def process_id(self) -> int | None:
        """The process id of the Redis answering on the port (INFO server), if any."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"INFO server\r\n")
                reply = b""
                while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
        except OSError:
            return None
        for line in reply.decode(errors="replace").splitlines():
            if line.startswith("process_id:"):
                return int(line.split(":", 1)[1])
        return None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def publishing_to(broker_url: str):
    """Point this process's Celery app (the web side's nudges) at `broker_url`.

    Celery reads the CELERY_BROKER_URL environment variable before its settings, so
    that is what is switched.
    """
    from config.celery_app import app

    original = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    _drop_pools(app)
    try:
        assert app.conf.broker_url == broker_url
        yield app
    finally:
        if original is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = original
        _drop_pools(app)


def _drop_pools(app) -> None:
    """Forget pooled broker connections, as Celery itself does after a fork. (Not closed:
    kombu's global producer pools keep a reference and would refuse a closed pool.)"""
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None

"""Requests per second and latency through a real WSGI server over loopback.

The server is gunicorn (sync workers, as deployed), started as a child process with
`config.settings.benchmark`. The load comes from this process: `concurrency` threads,
each sending GET requests one after another over `http.client` (a new connection per
request: gunicorn's sync workers close it after each response). Each URL is measured
in `rounds` short slices, the URLs interleaved (round 1 of every URL, then round 2…),
so that a change of load on a shared machine falls on all of them alike.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    bytes: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def size(self) -> int:
        return self.bytes // max(len(self.latencies), 1)


@contextmanager
def gunicorn(*, port: int, workers: int, env: dict):
    """gunicorn serving config.wsgi with the benchmark settings, until the block ends."""
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "sync", "--log-level", "warning", "--timeout", "120",
    ]  # fmt: skip
    child_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings.benchmark"}
    proc = subprocess.Popen(cmd, env=child_env)  # noqa: S603 (our own interpreter)
    try:
        _wait_until_up(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def fetch(port: int, path: str, cookie: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def _slice(port: int, result: Result, cookie: str, *, seconds: float, concurrency: int):
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker():
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status, size = fetch(port, result.path, cookie)
            except OSError:
                status, size = 0, 0
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    result.latencies.append(elapsed)
                    result.bytes += size
                else:
                    result.errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds += time.perf_counter() - began


def measure(
    port: int,
    targets: list[tuple[str, str]],
    cookie: str,
    *,
    seconds: float,
    rounds: int,
    concurrency: int,
) -> list[Result]:
    """Throughput and latency of each (name, path), `seconds` in all per URL."""
    results = [Result(name, path) for name, path in targets]
    for result in results:  # warm-up: imports, template loading, connection
        for _ in range(3):
            status, _size = fetch(port, result.path, cookie)
            if status != 200:
                raise RuntimeError(f"{result.path} answered {status}")
    for _ in range(rounds):
        for result in results:
            _slice(port, result, cookie, seconds=seconds / rounds, concurrency=concurrency)
    return results


def sequential_latencies(
    port: int, paths: dict[str, str], cookie: str, *, repeat: int
) -> dict[str, list[float]]:
    """One request at a time (no queueing), each path `repeat` times: {name: seconds}."""
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeat):
        for name, path in paths.items():
            started = time.perf_counter()
            status, _ = fetch(port, path, cookie)
            latencies[name].append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
    return latencies


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]

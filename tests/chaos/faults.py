"""The fault injector: one random fault at a time, at random intervals, from a seed.

Kinds:
- `kill_worker`: SIGKILL one of the two Celery workers (its whole process group); it is
  started again after a short pause, as a supervisor would;
- `kill_beat`: SIGKILL beat; started again after a short pause;
- `kill_web`: wait until the web driver has a request in flight, then SIGKILL every
  gunicorn worker (the master forks new ones);
- `restart_broker`: SIGKILL our Redis and start it again empty (no persistence: the
  queued messages are lost);
- `smtp_refuse`, `smtp_stall`, `smtp_drop`: the SMTP sink misbehaves for a few seconds,
  before or after `DATA` (see sink.py).

The first faults of a run take each kind once (in a seeded order), so even a short run
covers them all; after that the kind is drawn at random. With `slow_first` (the bounded
run in `make test`) the kinds whose recovery is slowest come first, so that the wait
overlaps the fault phase instead of following it: a message lost with a killed worker
or the broker leaves its row pending until the outbox's requeue nudges it again; an
email refused by SMTP is retried after one minute.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.support.wait import poll

from .processes import Cluster
from .sink import ChaosSmtpSink

KINDS = (
    "kill_worker",
    "kill_beat",
    "kill_web",
    "restart_broker",
    "smtp_refuse",
    "smtp_stall",
    "smtp_drop",
)
SLOW_TO_RECOVER = ("kill_worker", "restart_broker", "kill_beat", "kill_web")


@dataclass
class FaultLog:
    injected: Counter = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)
    web_requests_cut: int = 0

    def add(self, started: float, kind: str, detail: str) -> None:
        self.injected[kind] += 1
        self.lines.append(f"{time.monotonic() - started:7.1f}s {kind}: {detail}")


class Injector(threading.Thread):
    def __init__(
        self,
        *,
        cluster: Cluster,
        sink: ChaosSmtpSink,
        web_in_flight: threading.Event,
        web_cuts,
        faults: int,
        seconds: float,
        seed: int,
        slow_first: bool = False,
    ):
        super().__init__(name="fault-injector", daemon=True)
        self.slow_first = slow_first
        self.cluster, self.sink = cluster, sink
        self.web_in_flight, self.web_cuts = web_in_flight, web_cuts
        self.faults, self.seconds = faults, seconds
        self.random = random.Random(seed)
        self.log = FaultLog()
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self._restarts: list[threading.Thread] = []
        self._t0 = time.monotonic()

    def plan(self) -> list[str]:
        first = list(KINDS)
        self.random.shuffle(first)
        if self.slow_first:
            first.sort(key=lambda kind: kind not in SLOW_TO_RECOVER)  # stable: still shuffled
        rest = [self.random.choice(KINDS) for _ in range(max(0, self.faults - len(first)))]
        return (first + rest)[: self.faults]

    def run(self) -> None:
        """Fault i at a jittered slot in the first 90% of the phase (mail is still flowing:
        triggers are defined until its end); a fault that ran long delays only the next."""
        try:
            slot = 0.9 * self.seconds / max(self.faults, 1)
            for i, kind in enumerate(self.plan()):
                at = self._t0 + (i + self.random.uniform(0.25, 0.75)) * slot
                if self.stopping.wait(max(0.0, at - time.monotonic())):
                    break
                detail = getattr(self, kind)()
                self.log.add(self._t0, kind, detail)
        except BaseException as exc:  # reported by the harness
            self.error = exc

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)
        for thread in self._restarts:
            thread.join(timeout=180)
        self.sink.heal()

    # -- process faults --
    def _restart_later(self, name: str, pause: float) -> None:
        def restart() -> None:
            self.stopping.wait(pause)  # down for `pause` seconds (at once when stopping)
            self.cluster.start(name)

        thread = threading.Thread(target=restart, name=f"restart-{name}", daemon=True)
        thread.start()
        self._restarts.append(thread)

    def _kill_and_restart(self, name: str) -> str:
        for thread in self._restarts:  # never kill what is still being brought back
            thread.join(timeout=120)
        self.cluster.kill(name)  # if it had exited by itself, the supervisor restarts it
        pause = self.random.uniform(0.5, 3.0)
        self._restart_later(name, pause)
        return f"SIGKILL, restart after {pause:.1f}s"

    def kill_worker(self) -> str:
        name = self.random.choice(Cluster.WORKERS)
        return f"{name} " + self._kill_and_restart(name)

    def kill_beat(self) -> str:
        return self._kill_and_restart("beat")

    def restart_broker(self) -> str:
        return self._kill_and_restart("redis")

    def kill_web(self) -> str:
        """Kill the web workers while the driver's request is in flight; should the request
        have finished just before the kill, wait for the next one and kill again (≤ 5×)."""
        cuts = self.web_cuts()
        for attempt in range(1, 6):
            poll(self.cluster.web_ready, timeout=30)
            if not self.web_in_flight.wait(timeout=30):
                return f"{attempt - 1} kill(s), no request came to cut"
            self.stopping.wait(self.random.uniform(0.0, 0.1))  # a jittered moment to kill
            killed = self.cluster.kill_web_workers()
            poll(lambda: not self.web_in_flight.is_set(), timeout=30, every=0.05)
            if self.web_cuts() > cuts:
                self.log.web_requests_cut += 1
                return f"SIGKILL {killed} gunicorn worker(s) mid-request (attempt {attempt})"
        return "5 kills, none landed mid-request"

    # -- SMTP faults --
    def _smtp(self, mode: str) -> str:
        """Open a window of 2–6 s; if no message came through it, keep it open (≤ 30 s more)
        until one does, so that every SMTP fault lands on a real message."""
        seconds = self.random.uniform(2.0, 6.0)
        hits = self.sink.hits()
        label = self.sink.fault(mode, seconds, before_data=self.random.random() < 0.5)
        self.stopping.wait(seconds)  # the fault's window
        if self.sink.hits() > hits:
            return label
        self.sink.extend(30.0)
        deadline = time.monotonic() + 30.0
        poll(lambda: self.sink.hits() > hits, timeout=30.0)
        self.sink.heal()
        return f"{label}, kept open {30.0 - max(0.0, deadline - time.monotonic()):.1f}s more"

    def smtp_refuse(self) -> str:
        return self._smtp("refuse")

    def smtp_stall(self) -> str:
        return self._smtp("stall")

    def smtp_drop(self) -> str:
        return self._smtp("drop")

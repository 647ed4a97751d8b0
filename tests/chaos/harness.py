"""The chaos run: the whole system under faults, then a count of what was lost or sent twice.

`run(Config(...))` works on the database Django is configured with (the caller makes
it: `python -m tests.chaos` creates a fresh `chaos_*` database; the bounded pytest uses
the test database) and returns a `Result`. See docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tests.support.celery import worker_env

from .count import Tally, tally, wait_for_quiescence
from .faults import FaultLog, Injector
from .processes import Cluster
from .scenario import Cast, TriggerWaves, WebDriver
from .sink import ChaosSmtpSink


@dataclass
class Config:
    triggers: int = 300
    faults: int = 50
    seconds: float = 300.0  # the fault phase; triggers are defined all through it
    seed: int = 1
    rounds: int = 6  # signing rounds (acceptances submitted, signed over HTTP)
    settle: float = 420.0  # the longest wait for quiescence after the faults
    email_timeout: int = 3
    stall_seconds: float = 6.0  # longer than email_timeout: the client gives up first
    sweep_interval: float = 5.0
    slow_first: bool = False  # see faults.py
    logdir: Path | None = None


@dataclass
class Result:
    config: Config
    tally: Tally
    faults: FaultLog
    web: dict[str, int]
    smtp: dict[str, int]
    starts: dict[str, int]
    crashes: dict[str, int]
    seconds: float
    phases: dict[str, float]
    logdir: Path
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.tally.ok and not self.errors

    def summary(self) -> str:
        t, c = self.tally, self.config
        lines = [
            f"chaos: seed {c.seed}, {c.triggers} due triggers, {sum(self.faults.injected.values())}"
            f" faults in {c.seconds:.0f}s, {self.seconds:.0f}s in all ("
            + ", ".join(f"{k} {v:.0f}s" for k, v in self.phases.items())
            + ")",
            "faults: " + ", ".join(f"{k} {n}" for k, n in sorted(self.faults.injected.items())),
            "smtp faults applied: " + ", ".join(f"{k} {n}" for k, n in sorted(self.smtp.items())),
            "http: " + ", ".join(f"{k} {n}" for k, n in sorted(self.web.items())),
            "process starts: " + ", ".join(f"{k} {n}" for k, n in sorted(self.starts.items())),
            "exited by themselves (started again by the supervisor): "
            + (", ".join(f"{k} {n}" for k, n in sorted(self.crashes.items())) or "none"),
            f"triggers: {t.due_triggers} due, {t.fired_events} fired events, "
            f"{t.triggers_not_fired} never fired, {t.events_twice} fired twice",
            f"alerts: {t.alert_rows_expected} expected (event, recipient), "
            f"{t.alert_rows_missing} missing from the outbox; lost {t.lost_alerts}, "
            f"duplicated {t.duplicated_alerts}, uncertain {t.uncertain_alerts}",
            f"emails: {t.emails} outbox rows, {t.delivered} delivered once; states "
            + ", ".join(f"{k} {n}" for k, n in sorted(t.states.items())),
            f"quiescence: {'reached' if t.settled else 'NOT reached'} "
            f"after {t.settle_seconds:.0f}s",
            f"flags overwritten: {t.flags_overwritten} (decisions a fired trigger flagged, "
            "found unflagged)",
            f"signatures: {t.signatures} (void included), {t.signatures_twice} signed twice",
            f"verify_ledger: {'clean' if t.verify_ok else 'FAILED'} — {t.verify_output}",
            *(f"  e.g. {line}" for line in t.examples[:10]),
            *(f"error: {line}" for line in self.errors),
            f"LOST {t.total_lost}  DUPLICATED {t.total_duplicated}  UNCERTAIN {t.uncertain}"
            f"  (uncertain that did arrive: {t.uncertain_arrived}; stray {t.stray})",
            f"logs: {self.logdir}",
        ]
        return "\n".join(lines)


@contextlib.contextmanager
def supervised(cluster: Cluster):
    """A supervisor thread: every second, start again what exited by itself."""
    stopping = threading.Event()

    def watch() -> None:
        while not stopping.wait(1.0):
            cluster.revive()

    thread = threading.Thread(target=watch, name="supervisor", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopping.set()
        thread.join(timeout=60)


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app (the on-commit nudges it sends) at `url`."""
    from config.celery_app import app

    def reset(to: str) -> None:
        # Not force_close_all(): kombu keeps its producer pools per connection, globally.
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    reset(url)
    try:
        yield
    finally:
        reset(before)


def run(config: Config) -> Result:
    started = time.monotonic()
    logdir = config.logdir or Path(tempfile.mkdtemp(prefix="ledger-chaos-"))
    errors: list[str] = []
    cast = Cast.create()
    with ChaosSmtpSink(stall_seconds=config.stall_seconds) as sink:
        env = worker_env(
            broker_url="",  # Cluster sets its own
            email_url=sink.url,
            EMAIL_TIMEOUT=str(config.email_timeout),
            LEDGER_SWEEP_INTERVAL_SECONDS=str(config.sweep_interval),
        )
        with (
            Cluster(env=env, logdir=logdir) as cluster,
            broker(cluster.env["CELERY_BROKER_URL"]),
            supervised(cluster),
        ):
            driver = WebDriver(cast, base_url=cluster.web_url, rounds=config.rounds,
                               seconds=config.seconds * 0.9, seed=config.seed + 1)  # fmt: skip
            waves = TriggerWaves(cast, total=config.triggers, seconds=config.seconds,
                                 seed=config.seed + 2)  # fmt: skip
            injector = Injector(cluster=cluster, sink=sink, web_in_flight=driver.in_flight,
                                web_cuts=lambda: driver.cuts,
                                faults=config.faults, seconds=config.seconds,
                                seed=config.seed + 3,
                                slow_first=config.slow_first)  # fmt: skip
            phases = {"start-up": time.monotonic() - started}
            for thread in (driver, waves, injector):
                thread.start()
            injector.join()
            waves.join()
            driver.stop()
            injector.stop()
            phases["faults"] = time.monotonic() - started - phases["start-up"]
            for thread in (driver, waves, injector):
                if thread.error is not None:
                    errors.append(f"{thread.name}: {type(thread.error).__name__}: {thread.error}")
            cluster.revive()
            settled, waited = wait_for_quiescence(
                timeout=config.settle,
                stuck_after=timedelta(seconds=config.email_timeout * 4 + 30),
                log=logdir / "quiescence.log",
            )
            result_tally = tally(sink)
            result_tally.settled, result_tally.settle_seconds = settled, waited
            phases["quiescence"] = waited
            smtp = dict(sink.applied)
            starts = dict(cluster.starts)
            crashes = dict(cluster.crashes)
    return Result(
        config=config,
        tally=result_tally,
        faults=injector.log,
        web=driver.counts,
        smtp=smtp,
        starts=starts,
        crashes=crashes,
        seconds=time.monotonic() - started,
        phases=phases,
        logdir=logdir,
        errors=errors,
    )

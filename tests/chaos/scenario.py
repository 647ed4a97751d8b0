"""What the chaos run does to the ledger, through the services and over HTTP.

- `Cast.create()`: an architect, three signatories and six watchers; a log with a few
  decisions; risk acceptances drafted and submitted for signature (the services).
- `TriggerWaves`: a thread that defines due date triggers (3 watchers each, on one of
  the decisions) in waves while the faults fly, so triggers fire all through the run.
- `WebDriver`: a thread that signs the awaited acceptances and edits acceptances and
  decisions over HTTP, through the real forms; the fault injector waits for one of its
  requests to be in flight before it kills the web workers.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import close_old_connections, connection
from django.utils import timezone

from .web_client import Person

PASSWORD = "chaos-horse-battery-staple"
PREFIX = "chaos"


def ledger_today():
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _user(username: str, role: str | None, name: str):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@chaos.test",
        display_name=name,
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@dataclass
class Cast:
    architect: object
    signers: list
    watchers: list
    decisions: list
    acceptances: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, *, decisions: int = 4) -> Cast:
        from adr.services import decision_create, log_create

        architect = _user(f"{PREFIX}-architect", "architect", "Chaos Architect")
        signers = [_user(f"{PREFIX}-signer{i}", "stakeholder", f"Signer {i}") for i in (1, 2, 3)]
        watchers = [_user(f"{PREFIX}-watcher{i}", None, f"Watcher {i}") for i in range(1, 7)]
        log = log_create(actor=architect, key="CHAOS", name="Chaos run")
        rows = [
            decision_create(actor=architect, log=log, title=f"Chaos decision {i}")
            for i in range(1, decisions + 1)
        ]
        return cls(architect, signers, watchers, rows)

    def submit_acceptance(self, number: int) -> int:
        """Draft an acceptance with three signatories and a trigger, and submit it."""
        from risks import services as risks
        from triggers.services import trigger_create

        today = ledger_today()
        acceptance = risks.acceptance_create(
            actor=self.architect,
            title=f"Chaos acceptance {number}",
            risk_statement="Signed while the workers die.",
            owner=self.architect,
            expires_on=today + timedelta(days=90),
            decisions=[self.decisions[number % len(self.decisions)]],
            mitigations=[{"description": "Kill -9 drills", "status": "in_place"}],
            signatories=[
                {"user": user, "meaning": f"signer {i}"} for i, user in enumerate(self.signers)
            ],
        )
        trigger_create(
            actor=self.architect,
            name=f"{PREFIX} acceptance {number} review",
            kind="date",
            params={"date": (today + timedelta(days=60)).isoformat(), "lead_days": []},
            risk_acceptance=acceptance,
        )
        risks.acceptance_submit(actor=self.architect, acceptance=acceptance)
        self.acceptances.append(acceptance.pk)
        return acceptance.pk


def due_trigger_ids() -> list[int]:
    from triggers.models import Trigger

    return list(
        Trigger.objects.filter(name__startswith=f"{PREFIX} due ").values_list("pk", flat=True)
    )


class _Loop(threading.Thread):
    def __init__(self, name: str):
        super().__init__(name=name, daemon=True)
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.loop()
        except BaseException as exc:  # reported by the harness, never swallowed
            self.error = exc
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=120)


class TriggerWaves(_Loop):
    """Define `total` due date triggers in `waves` waves spread over `seconds`."""

    def __init__(self, cast: Cast, *, total: int, seconds: float, seed: int, waves: int = 20):
        super().__init__("trigger-waves")
        self.cast, self.total, self.seconds, self.waves = cast, total, seconds, waves
        self.random = random.Random(seed)
        self.created = 0

    def loop(self) -> None:
        from triggers.services import trigger_create

        waves = max(1, min(self.waves, self.total))
        for wave in range(waves):
            size = self.total // waves + (1 if wave < self.total % waves else 0)
            for _ in range(size):
                trigger_create(
                    actor=self.cast.architect,
                    name=f"{PREFIX} due {self.created + 1}",
                    kind="date",
                    params={"date": ledger_today().isoformat(), "lead_days": []},
                    decisions=[self.random.choice(self.cast.decisions)],
                    watchers=self.random.sample(self.cast.watchers, 3),
                )
                self.created += 1
            if self.stopping.wait(self.seconds / waves):
                break
        close_old_connections()


class WebDriver(_Loop):
    """Sign and edit over HTTP until stopped; then finish the signing rounds."""

    def __init__(self, cast: Cast, *, base_url: str, rounds: int, seconds: float, seed: int):
        super().__init__("web-driver")
        self.cast, self.rounds = cast, rounds
        self.every = seconds / max(rounds, 1)  # rounds are spread over the fault phase
        self.random = random.Random(seed)
        self.people = {
            user.username: Person(base_url, user.username, PASSWORD)
            for user in [cast.architect, *cast.signers]
        }
        self.in_flight = threading.Event()
        self.counts: dict[str, int] = {}
        self.edits: dict[int, int] = {}

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def loop(self) -> None:
        started, t0 = 0, time.monotonic()
        while not self.stopping.is_set():
            awaiting = self._awaiting()
            due = started < self.rounds and time.monotonic() - t0 >= started * self.every
            if due and len(awaiting) < 2:
                started += 1
                self.cast.submit_acceptance(started)
                continue
            self._act(awaiting)
            self.stopping.wait(self.random.uniform(0.05, 0.4))

    @property
    def cuts(self) -> int:
        return sum(n for what, n in list(self.counts.items()) if what.endswith("cut by a kill"))

    def _awaiting(self) -> dict[int, list]:
        """Awaiting acceptance pk → the signers who have not signed the current version."""
        from risks.models import RiskAcceptance, Signature

        result = {}
        rows = RiskAcceptance.objects.filter(pk__in=self.cast.acceptances, state="awaiting")
        for pk in rows.values_list("pk", flat=True):
            signed = set(
                Signature.objects.filter(acceptance_id=pk, void=False).values_list(
                    "user_id", flat=True
                )
            )
            result[pk] = [u for u in self.cast.signers if u.pk not in signed]
        return {pk: users for pk, users in result.items() if users}

    def _act(self, awaiting: dict[int, list]) -> None:
        """Sign (mostly), edit an acceptance being signed, or edit a decision."""
        pk = self.random.choice(sorted(awaiting)) if awaiting else None
        roll = self.random.random() if awaiting else 0.2
        architect = self.people[self.cast.architect.username]
        if roll < 0.1 and self.edits.get(pk, 0) < 2:
            self.edits[pk] = self.edits.get(pk, 0) + 1
            what, path, form = "edit acceptance", f"/risks/{pk}/edit/", "residual_risk"
            change = {"residual_risk": f"Edited over HTTP ({self.edits[pk]})."}
            person = architect
        elif roll < 0.3:
            number = self.random.randrange(1, len(self.cast.decisions) + 1)
            what, path, form = "edit decision", f"/decisions/CHAOS-{number:04d}/edit/", "context"
            change = {"context": f"Edited over HTTP at {time.time():.3f}.", "reason": "chaos"}
            person = architect
        else:
            signer = self.random.choice(awaiting[pk])
            what, path, form = "sign", f"/risks/{pk}/sign/", "digest"
            change = {"verdict": "approve", "password": PASSWORD}
            person = self.people[signer.username]
        self._request(what, person, path, form, change)

    def _request(self, what: str, person: Person, path: str, form: str, change: dict) -> None:
        self.in_flight.set()
        try:
            response = person.submit(path, containing=form, change=change)
        except requests.ConnectionError:
            self.count(f"{what}: cut by a kill")
            return
        except (requests.RequestException, LookupError) as exc:
            self.count(f"{what}: {type(exc).__name__}")
            return
        finally:
            self.in_flight.clear()
        status = response.status_code
        self.count(f"{what}: HTTP {status if status >= 400 else 'ok'}")

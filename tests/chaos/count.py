"""After the faults: wait for quiescence, then count what was lost, duplicated or uncertain.

Every email is an outbox row (one recipient, one event, unique dedupe key) carrying its
row id in the `X-Ledger-Notification` header, so the sink's records say how many times
each (event, recipient) arrived:

- arrived once: delivered;
- arrived twice or more: **duplicated** (whatever the row's state says);
- never arrived, and the row is *uncertain* (or still *sending*, its sender killed:
  the outbox marks such rows uncertain after ten minutes): **uncertain**, for staff to
  resolve — reported, not a failure;
- never arrived otherwise (sent, pending, waiting to retry, failed): **lost**.

Alerts are counted against the due triggers: each must have exactly one fired event
and, for it, one `trigger.fired` row per watcher (3), each delivered once; a trigger that
never fired and a missing row are lost too. Every decision a fired trigger rests on must
still be flagged "needs review" (an edit must not have overwritten the flag).
"""

from __future__ import annotations

import io
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from tests.support.wait import poll

from .scenario import due_trigger_ids
from .sink import ChaosSmtpSink

WATCHERS_PER_TRIGGER = 3


@dataclass
class Tally:
    due_triggers: int = 0
    fired_events: int = 0
    triggers_not_fired: int = 0
    events_twice: int = 0
    alert_rows_expected: int = 0
    alert_rows_missing: int = 0
    emails: int = 0  # outbox rows
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    uncertain: int = 0
    uncertain_arrived: int = 0
    stray: int = 0  # arrived without a matching outbox row, or to the wrong address
    cancelled: int = 0
    flags_overwritten: int = 0
    signatures: int = 0
    signatures_twice: int = 0  # a second live signature by one signer on one acceptance
    verify_ok: bool = False
    verify_output: str = ""
    settled: bool = False
    settle_seconds: float = 0.0
    states: Counter = field(default_factory=Counter)
    lost_alerts: int = 0
    duplicated_alerts: int = 0
    uncertain_alerts: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total_lost(self) -> int:
        return self.lost + self.triggers_not_fired + self.alert_rows_missing

    @property
    def total_duplicated(self) -> int:
        return self.duplicated + self.events_twice + self.stray + self.signatures_twice

    @property
    def ok(self) -> bool:
        return (
            self.total_lost == 0
            and self.total_duplicated == 0
            and self.flags_overwritten == 0
            and self.verify_ok
        )


def _busy(stuck_after: timedelta) -> tuple[int, int, dict]:
    """(due triggers not fired yet, outbox rows still on their way, rows per state)."""
    from config.notifications.models import Notification
    from triggers.models import FiredEvent

    due = due_trigger_ids()
    fired = FiredEvent.objects.filter(trigger_id__in=due).values("trigger_id").distinct().count()
    states = dict(
        Notification.objects.values_list("state").annotate(n=Count("pk")).order_by("state")
    )
    moving = states.get("pending", 0) + states.get("retry", 0)
    # A row claimed long ago whose sender died stays *sending*: it is not on its way.
    moving += Notification.objects.filter(
        state="sending", claimed_at__gte=timezone.now() - stuck_after
    ).count()
    return len(due) - fired, moving, states


def wait_for_quiescence(*, timeout: float, stuck_after: timedelta, log: Path) -> tuple[bool, float]:
    """Until every due trigger fired and no email is on its way, twice in a row.

    Each look is written to `log` (seconds, triggers not fired, rows per state)."""
    started = time.monotonic()
    calm = 0

    def settled() -> bool:
        nonlocal calm
        unfired, moving, states = _busy(stuck_after)
        with log.open("a") as out:
            out.write(f"{time.monotonic() - started:6.1f}s unfired {unfired} {states}\n")
        calm = calm + 1 if unfired == 0 and moving == 0 else 0
        return calm >= 2

    done = poll(settled, timeout=timeout, every=2.0)
    return bool(done), time.monotonic() - started


def tally(sink: ChaosSmtpSink) -> Tally:
    from adr.models import Decision
    from config.notifications.models import Notification
    from risks.models import Signature
    from triggers.models import FiredEvent

    t = Tally()
    received = sink.snapshot()
    arrivals = Counter(r.notification for r in received)
    rows = {
        str(pk): (key, recipient, state, event)
        for pk, key, recipient, state, event in Notification.objects.values_list(
            "pk", "dedupe_key", "recipient", "state", "event"
        )
    }
    t.stray = sum(n for pk, n in arrivals.items() if pk not in rows)
    t.stray += sum(1 for r in received if r.notification in rows
                   and r.recipients != (rows[r.notification][1].lower(),))  # fmt: skip
    t.emails = len(rows)
    for pk, (key, _recipient, state, event) in rows.items():
        t.states[state] += 1
        n = arrivals.get(pk, 0)
        alert = event == "trigger.fired"
        if n >= 2:
            t.duplicated += n - 1
            t.duplicated_alerts += (n - 1) if alert else 0
            t.examples.append(f"duplicated ×{n}: {key} ({state})")
        elif n == 1:
            t.delivered += 1
            t.uncertain_arrived += state == "uncertain"
        elif state in ("uncertain", "sending"):
            t.uncertain += 1
            t.uncertain_alerts += alert
        elif state == "cancelled":
            t.cancelled += 1
        else:
            t.lost += 1
            t.lost_alerts += alert
            t.examples.append(f"lost: {key} ({state})")

    due = due_trigger_ids()
    t.due_triggers = len(due)
    events = list(FiredEvent.objects.filter(trigger_id__in=due).values_list("pk", "trigger_id"))
    t.fired_events = len(events)
    per_trigger = Counter(trigger_id for _pk, trigger_id in events)
    t.triggers_not_fired = sum(1 for pk in due if per_trigger[pk] == 0)
    t.events_twice = sum(n - 1 for n in per_trigger.values() if n > 1)
    alert_keys = Counter()
    for key, _r, _s, event in rows.values():
        if event == "trigger.fired":
            alert_keys[key.rsplit(":", 1)[0]] += 1
    for event_pk, trigger_id in events:
        t.alert_rows_expected += WATCHERS_PER_TRIGGER
        have = alert_keys.get(f"trigger:{trigger_id}:fired:{event_pk}", 0)
        t.alert_rows_missing += max(0, WATCHERS_PER_TRIGGER - have)
    t.lost_alerts += t.triggers_not_fired * WATCHERS_PER_TRIGGER + t.alert_rows_missing

    flagged_needed = set(
        Decision.objects.filter(triggers__in=[pk for pk, n in per_trigger.items() if n])
        .values_list("pk", flat=True)
        .distinct()
    )
    t.flags_overwritten = Decision.objects.filter(pk__in=flagged_needed, needs_review=False).count()

    live = Counter(Signature.objects.filter(void=False).values_list("acceptance_id", "user_id"))
    t.signatures = Signature.objects.count()
    t.signatures_twice = sum(n - 1 for n in live.values() if n > 1)

    out = io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=out)
        t.verify_ok = True
    except CommandError as exc:
        out.write(str(exc))
    t.verify_output = out.getvalue().strip()
    return t

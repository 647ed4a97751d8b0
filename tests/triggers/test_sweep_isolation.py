"""One trigger cannot stall the sweep: a failing evaluation or write, a trickling endpoint.

Real HTTP peers on loopback; the failing triggers fail because of their stored data (as
old rows or raw edits can leave it), not because our code is patched.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.checks import run_checks
from django.db import connection, transaction
from django.utils import timezone

from config.notifications.models import Notification
from tests.conftest import require_postgres
from triggers.isolation import backoff
from triggers.models import Evaluation, FiredEvent, Initiative, Trigger
from triggers.services import trigger_create
from triggers.sweep import sweep


class _Peer(BaseHTTPRequestHandler):
    """/usage.json answers at once; /trickle.json sends one body byte every 50 ms (for 20 s:
    long past any budget here, yet a regression fails instead of hanging the suite)."""

    on_trickle = None  # called (in the server thread) when a trickle request arrives
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        if self.path == "/usage.json":
            body = json.dumps({"legacy": {"daily_users": 12}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if type(self).on_trickle is not None:
            type(self).on_trickle()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000000")
        self.end_headers()
        try:
            self.wfile.write(b'{"legacy": {"daily_users": ')
            for _ in range(400):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            return  # the client hung up


@pytest.fixture
def peer(settings):
    _Peer.requests = []
    _Peer.on_trickle = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _date(architect, watcher, name: str, day) -> Trigger:
    return trigger_create(
        actor=architect,
        name=name,
        kind="date",
        params={"date": day.isoformat(), "lead_days": []},
        watchers=[watcher],
    )


def _metric(architect, watcher, name: str, url: str) -> Trigger:
    return trigger_create(
        actor=architect,
        name=name,
        kind="metric",
        params={"url": url, "path": "legacy.daily_users", "op": "<", "threshold": 50},
        watchers=[watcher],
    )


def _corrupt(trigger: Trigger, **params) -> None:
    """Stored parameters the form would refuse (an old row, a raw edit): a plain UPDATE."""
    Trigger.objects.filter(pk=trigger.pk).update(
        params={**trigger.params, **params}, next_check_at=timezone.now() - timedelta(minutes=1)
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_a_raising_trigger_and_a_trickling_endpoint_do_not_stop_the_other_due_triggers(
    roles, peer, architect, stakeholder, settings
):
    require_postgres()
    settings.LEDGER_METRIC_TIMEOUT_SECONDS = 60  # only the sweep's budget can save us
    settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS = 4
    yesterday = timezone.localdate() - timedelta(days=1)
    dates = [_date(architect, stakeholder, f"Sunset {i}", yesterday) for i in range(5)]
    # Evaluating this one raises: its lead days are not numbers.
    raising_date = _date(architect, stakeholder, "Corrupt lead days", yesterday)
    _corrupt(
        raising_date, date=(timezone.localdate() + timedelta(days=20)).isoformat(), lead_days=["x"]
    )
    # This one's probe works, but its stored operator is unknown: comparing raises.
    raising_metric = _metric(architect, stakeholder, "Corrupt operator", f"{peer}/usage.json")
    _corrupt(raising_metric, op="≈")
    healthy_metric = _metric(architect, stakeholder, "Healthy metric", f"{peer}/usage.json")
    trickling = _metric(architect, stakeholder, "Trickling metric", f"{peer}/trickle.json")
    initiative = Initiative.objects.create(name="RBAC", status=Initiative.Status.DONE)
    waiting = trigger_create(
        actor=architect,
        name="RBAC done",
        kind="initiative",
        initiative=initiative,
        watchers=[stakeholder],
    )
    seen_by_peer = {}

    def while_probing():
        # The peer looks at the database while the sweep waits on it: the date triggers
        # have fired and committed, and no trigger row is locked.
        seen_by_peer["fired"] = FiredEvent.objects.filter(trigger__kind="date").count()
        try:
            with transaction.atomic():
                seen_by_peer["locked"] = len(Trigger.objects.select_for_update(nowait=True))
        except Exception as exc:  # noqa: BLE001 - reported below
            seen_by_peer["locked"] = exc
        connection.close()

    _Peer.on_trickle = while_probing
    started = time.monotonic()
    result = sweep(batch_size=2)
    elapsed = time.monotonic() - started

    print(f"sweep took {elapsed:.2f} s")
    assert elapsed < settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS, elapsed
    assert "/trickle.json" in _Peer.requests
    assert seen_by_peer == {"fired": 5, "locked": Trigger.objects.count()}
    fired = set(FiredEvent.objects.values_list("trigger__name", flat=True))
    assert fired == {*(t.name for t in dates), "Healthy metric", "RBAC done"}
    assert result.fired == 7 and result.errors == 2
    for broken in (raising_date, raising_metric):
        broken.refresh_from_db()
        assert broken.state == "armed"
        assert broken.consecutive_failures == 1
        assert "The evaluation failed" in broken.last_error
        error = Evaluation.objects.get(trigger=broken)
        assert error.outcome == "error" and error.error == broken.last_error
        assert broken.next_check_at == broken.last_checked_at + timedelta(minutes=1)
    assert "ValueError" in raising_date.last_error and "KeyError" in raising_metric.last_error
    trickling.refresh_from_db()
    assert "Timed out" in Evaluation.objects.get(trigger=trickling).error
    assert not FiredEvent.objects.filter(trigger__in=[trickling, raising_metric]).exists()
    waiting.refresh_from_db()
    healthy_metric.refresh_from_db()
    assert (waiting.state, healthy_metric.state) == ("fired", "fired")
    assert Notification.objects.filter(event="trigger.fired").count() == 7


@pytest.mark.django_db
def test_a_trigger_whose_write_fails_is_recorded_and_the_rest_of_its_batch_fires(
    architect, stakeholder
):
    require_postgres()
    yesterday = timezone.localdate() - timedelta(days=1)
    triggers = [_date(architect, stakeholder, f"Sunset {i}", yesterday) for i in range(4)]
    broken = triggers[1]
    # A fired event for its current arming already exists, yet the row says armed (e.g.
    # re-armed by a raw edit): firing again would break "once per arming".
    FiredEvent.objects.create(trigger=broken, generation=broken.generation, reason="earlier")

    result = sweep(batch_size=10)

    assert result.fired == 3 and result.errors == 1
    assert FiredEvent.objects.filter(trigger=broken).count() == 1  # still exactly once
    assert FiredEvent.objects.exclude(trigger=broken).count() == 3
    broken.refresh_from_db()
    assert broken.state == "armed" and broken.consecutive_failures == 1
    assert "IntegrityError" in broken.last_error
    assert list(Evaluation.objects.filter(trigger=broken).values_list("outcome", flat=True)) == [
        "error"
    ]
    # Only the three that fired told the watch list; the rolled-back attempt sent nothing.
    assert Notification.objects.filter(event="trigger.fired").count() == 3


@pytest.mark.django_db
def test_a_failing_trigger_backs_off_exponentially_and_recovers_once_its_data_is_fixed(
    architect, stakeholder, login
):
    in_five_days = timezone.localdate() + timedelta(days=5)
    trigger = trigger_create(
        actor=architect,
        name="Corrupt bookkeeping",
        kind="date",
        params={"date": in_five_days.isoformat(), "lead_days": [7]},
        watchers=[stakeholder],
    )
    # The 7-day warning is due; the list of warnings sent holds a non-number.
    Trigger.objects.filter(pk=trigger.pk).update(warnings_sent=["x"])
    delays = []
    for _ in range(4):
        trigger.refresh_from_db()
        at = trigger.next_check_at
        assert sweep(now=at).errors == 1
        trigger.refresh_from_db()
        delays.append(trigger.next_check_at - at)
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert trigger.consecutive_failures == 4
    assert backoff(30) == timedelta(days=1)

    # Staff see it on the list and the page.
    client = login(architect)
    listing = client.get("/triggers/").content.decode()
    assert "evaluation failing" in listing
    page = client.get(f"/triggers/{trigger.pk}/").content.decode()
    assert "Last evaluation failed (4 in a row)" in page
    assert "TypeError" in page

    Trigger.objects.filter(pk=trigger.pk).update(warnings_sent=[])
    result = sweep(now=trigger.next_check_at)
    assert (result.errors, result.warned) == (0, 1)
    trigger.refresh_from_db()
    assert (trigger.consecutive_failures, trigger.last_error) == (0, "")
    assert "evaluation failing" not in client.get("/triggers/").content.decode()


def test_the_probe_budget_is_checked_at_start_up(settings):
    def ids():
        return {m.id for m in run_checks()}

    settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS = 0
    assert "ledger.E006" in ids()
    settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS = 120  # the sweep runs every 60 s
    assert "ledger.E014" in ids()
    settings.LEDGER_SWEEP_PROBE_BUDGET_SECONDS = 30
    assert not {"ledger.E006", "ledger.E014"} & ids()

"""Metric triggers against a real HTTP server on loopback (only the outside world is faked)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.notifications.models import Notification
from triggers import probes
from triggers.models import Evaluation, FiredEvent
from triggers.params import clean_params
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


class _Handler(BaseHTTPRequestHandler):
    users = 120
    # /slow.json answers only once this is set (at the fixture's end): slower than any
    # probe timeout, without a sleep. The wait's own limit only frees a stuck thread.
    released = threading.Event()

    def log_message(self, *args):
        pass

    def _json(self, payload, status=200):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/usage.json":
            self._json({"legacy": {"daily_users": type(self).users}})
        elif self.path == "/slow.json":
            type(self).released.wait(timeout=30)
            self._json({"legacy": {"daily_users": 1}})
        elif self.path == "/bad.json":
            self._json(b"<html>oops</html>")
        elif self.path == "/missing.json":
            self._json({"legacy": {}})
        elif self.path.startswith("/hop"):
            n = int(self.path[4:] or 0)
            self.send_response(302)
            self.send_header("Location", f"/hop{n + 1}" if n < 5 else "/usage.json")
            self.end_headers()
        elif self.path == "/to-usage":
            self.send_response(302)
            self.send_header("Location", "/usage.json")
            self.end_headers()
        else:
            self._json({"error": "not found"}, status=404)


@pytest.fixture
def server(settings):
    _Handler.users = 120
    _Handler.released.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    settings.LEDGER_METRIC_TIMEOUT_SECONDS = 0.5
    settings.LEDGER_METRIC_FAILURES_BEFORE_ALERT = 2
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Handler.released.set()
    httpd.shutdown()
    httpd.server_close()


def _metric(architect, watcher, url):
    return trigger_create(
        actor=architect,
        name="Legacy frontend usage below 50",
        kind="metric",
        params={"url": url, "path": "legacy.daily_users", "op": "<", "threshold": 50},
        watchers=[watcher],
    )


def test_a_metric_below_its_threshold_fires_once_with_the_observed_value(
    server, architect, stakeholder
):
    trigger = _metric(architect, stakeholder, f"{server}/usage.json")
    assert sweep().fired == 0
    assert Evaluation.objects.get().observed == "120"
    _Handler.users = 42
    trigger.refresh_from_db()
    assert trigger.consecutive_failures == 0
    assert sweep(now=trigger.next_check_at).fired == 1
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    event = FiredEvent.objects.get()
    assert event.details["value"] == 42
    assert "42" in event.reason
    assert Notification.objects.filter(event="trigger.fired").count() == 1


def test_a_probe_that_times_out_is_recorded_and_does_not_fire(server, architect, stakeholder):
    trigger = _metric(architect, stakeholder, f"{server}/slow.json")
    result = sweep()
    assert (result.fired, result.probe_errors) == (0, 1)
    evaluation = Evaluation.objects.get()
    assert evaluation.outcome == "error"
    assert "Timed out" in evaluation.error
    trigger.refresh_from_db()
    assert trigger.state == "armed" and trigger.consecutive_failures == 1
    assert trigger.next_check_at <= timezone.now() + timedelta(seconds=5)  # the next sweep


def test_a_probe_that_returns_bad_json_is_recorded_and_does_not_fire(
    server, architect, stakeholder
):
    trigger = _metric(architect, stakeholder, f"{server}/bad.json")
    assert sweep().fired == 0
    assert "not JSON" in Evaluation.objects.get().error
    trigger.refresh_from_db()
    assert trigger.state == "armed"
    assert not FiredEvent.objects.exists()


def test_after_n_failures_in_a_row_the_watch_list_hears_the_probe_is_broken_once(
    server, architect, stakeholder
):
    trigger = _metric(architect, stakeholder, f"{server}/missing.json")
    for _ in range(4):
        trigger.refresh_from_db()
        sweep(now=trigger.next_check_at)
    assert Evaluation.objects.filter(outcome="error").count() == 4
    broken = Notification.objects.filter(event="trigger.probe_broken")
    assert list(broken.values_list("recipient", flat=True)) == [stakeholder.email]
    assert "failed 2 times" in broken.get().body_text
    error = Evaluation.objects.filter(outcome="error").first().error
    assert f"Last error: {error}" in broken.get().body_text
    assert not FiredEvent.objects.exists()
    trigger.refresh_from_db()
    assert (trigger.consecutive_failures, trigger.probe_alerts) == (4, 1)


def test_redirects_are_followed_at_most_three_times(server):
    assert probes.probe({"url": f"{server}/to-usage", "path": "legacy.daily_users"}).value == 120
    result = probes.probe({"url": f"{server}/hop0", "path": "legacy.daily_users"})
    assert "More than 3 redirects" in result.error


def test_a_metric_url_at_a_private_address_is_refused(settings):
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["10.0.0.5", "localhost", "169.254.169.254"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    for url in (
        "http://10.0.0.5/usage.json",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/usage.json",  # refused after DNS resolution (loopback)
    ):
        with pytest.raises(ValidationError) as info:
            clean_params("metric", {"url": url, "path": "a", "op": "<", "threshold": 1})
        assert "private, loopback or link-local" in str(info.value)
        assert "Refused" in probes.probe({"url": url, "path": "a"}).error


def test_the_probe_itself_refuses_loopback_when_private_addresses_are_not_allowed(server, settings):
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    result = probes.probe({"url": f"{server}/to-usage", "path": "legacy.daily_users"})
    assert result.value is None and "Refused" in result.error


def test_a_metric_url_not_on_the_allow_list_or_not_http_is_refused_with_a_clear_message(settings):
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["metrics.example.com"]
    with pytest.raises(ValidationError, match="not on the metric allow-list"):
        clean_params(
            "metric", {"url": "https://evil.example.net/x", "path": "a", "op": "<", "threshold": 1}
        )
    with pytest.raises(ValidationError, match="Only http and https"):
        clean_params(
            "metric", {"url": "ftp://metrics.example.com/x", "path": "a", "op": "<", "threshold": 1}
        )


def test_metric_comparisons_and_dotted_paths():
    assert probes.read_path({"a": [{"b": 3}]}, "a.0.b") == 3
    for op, expected in (("<", False), ("<=", True), (">", False), (">=", True), ("==", True)):
        assert probes.condition_met(50.0, {"op": op, "threshold": 50}) is expected
    with pytest.raises(ValueError):
        probes.to_number(True)


def test_the_connection_itself_refuses_a_private_peer_even_if_dns_changed_after_the_check(
    server, settings
):
    # check_url() is skipped here, as if the name had resolved to a public address a
    # moment before (DNS rebinding): the socket's real peer is checked before any byte.
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    with pytest.raises(probes.ProbeRefused, match="private address"):
        probes._session().get(f"{server}/usage.json", timeout=2)
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    assert probes._session().get(f"{server}/usage.json", timeout=2).status_code == 200


def test_a_metric_is_probed_again_after_its_own_interval(server, architect, stakeholder):
    trigger = trigger_create(
        actor=architect,
        name="Probed every quarter hour",
        kind="metric",
        params={"url": f"{server}/usage.json", "path": "legacy.daily_users", "op": "<",
                "threshold": 50, "interval_minutes": 15},
        watchers=[stakeholder],
    )  # fmt: skip
    assert sweep().fired == 0
    trigger.refresh_from_db()
    assert trigger.consecutive_failures == 0
    assert trigger.next_check_at == trigger.last_checked_at + timedelta(minutes=15)

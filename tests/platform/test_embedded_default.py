"""`bin/run-dev`, what `make run` starts, works on a bare machine.

No database server, no broker server: SQLite, kombu's filesystem transport and mail to
files, all under VAR_DIR. The web server serves the seeded demo, and Celery beat's
trigger sweep really reaches the worker. Ctrl-C (SIGTERM here) stops everything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import _missing
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVICE_ENV = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "DEBUG",
)

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout: float, what: str):
    return wait_until(predicate, timeout=timeout, what=what, every=0.5)


def _get(url: str, session: requests.Session | None = None):
    try:
        return (session or requests).get(url, timeout=5)
    except requests.ConnectionError:
        return None


def test_run_dev_serves_the_demo_and_beat_drives_the_worker(tmp_path):
    if not (ROOT / ".venv" / "bin" / "celery").exists():
        _missing("bin/run-dev runs from the project's .venv (make install)")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    env.update(VAR_DIR=str(tmp_path), PORT=str(port), LEDGER_SWEEP_INTERVAL_SECONDS="2")
    log = tmp_path / "run-dev.out"
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "bin/run-dev"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    celery_log = tmp_path / "log" / "celery.log"
    try:
        login = _wait_for(
            lambda: (r := _get(f"{base}/accounts/login/")) is not None and r.status_code == 200,
            120,
            "the login page",
        )
        assert login

        # The banner comes a moment after the processes start: wait for it too.
        def banner() -> str:
            text = log.read_text()
            return text if f"running at {base}/" in text else ""

        output = _wait_for(banner, 30, "the banner with the URL")
        assert "alice-architect-2026" in output  # the demo logins are printed

        session = requests.Session()
        page = session.get(f"{base}/accounts/login/", timeout=5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{base}/accounts/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": "alice",
                "password": "alice-architect-2026",
            },
            timeout=10,
        )
        assert response.status_code == 200 and "/accounts/login/" not in response.url
        detail = session.get(f"{base}/decisions/AUTH-1/", timeout=10)
        assert detail.status_code == 200
        assert "Keep browser-readable Cognito tokens" in detail.text
        assert "'nonce-" in detail.headers["Content-Security-Policy"]

        def swept() -> bool:
            text = celery_log.read_text() if celery_log.exists() else ""
            return "Sending due task sweep-triggers" in text and bool(
                re.search(r"triggers\.tasks\.sweep_triggers\[[^\]]+\] succeeded", text)
            )

        _wait_for(swept, 90, "beat to send the sweep and the worker to run it")
        assert (tmp_path / "ledger.sqlite3").exists()
        # SITE_URL is the printed address (issue 11): links in emails and the demo's
        # metric URL point where the browser that logged in already has its session.
        with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
            (params,) = db.execute(
                "SELECT params FROM triggers_trigger WHERE kind = 'metric'"
            ).fetchone()
        assert json.loads(params)["url"].startswith(f"{base}/demo/")
    finally:
        # Shown by pytest if the test fails.
        print("--- run-dev output ---\n" + log.read_text()[-4000:])
        if celery_log.exists():
            print("--- celery.log ---\n" + celery_log.read_text()[-4000:])
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail("bin/run-dev did not stop on SIGTERM")
    assert _get(f"{base}/accounts/login/") is None, "the web server outlived run-dev"
    assert "database is locked" not in celery_log.read_text()

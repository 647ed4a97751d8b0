"""Settings per environment and the system checks that guard them.

`check --deploy` runs in a subprocess under config.settings.production, exactly as
an operator would run it; the in-process tests feed each check a bad value.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "ledger.example.com",
    "SITE_URL": "https://ledger.example.com",
    "LEDGER_CHAIN_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SILENCED_SYSTEM_CHECKS", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "LEDGER_PRODUCTION")}))
"""


def _run(args: list[str], settings_module: str, tmp_path, **env: str):
    clean = {
        k: v
        for k, v in os.environ.items()
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a "deployment".
        if k
        not in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    clean.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
        **env,
    )
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_under_production_settings_prints_no_warnings(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        "config.settings.production",
        tmp_path,
        **PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", (
        result.stdout + result.stderr
    )
    assert "WARNING" not in result.stderr


def test_production_silences_no_check_and_sets_secure_cookies(tmp_path):
    result = _run(["-c", SHOW_SETTINGS], "config.settings.production", tmp_path, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["SILENCED_SYSTEM_CHECKS"] == []
    assert values["DEBUG"] is False
    assert values["LEDGER_PRODUCTION"] is True
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        assert values[f"{cookie}_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000


@pytest.mark.parametrize(
    "env, message",
    [
        ({}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "k" * 60}, "ALLOWED_HOSTS must be set"),
    ],
    ids=["no-secret-key", "short-secret-key", "no-allowed-hosts"],
)
def test_production_refuses_to_start_without_a_secret_key_or_hosts(tmp_path, env, message):
    result = _run(["manage.py", "check"], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "keys, message",
    [
        ("", "LEDGER_CHAIN_KEYS is empty in production"),
        (None, "the public development key"),
        ("k1:c2hvcnQ=", "k1' has 5 bytes"),
    ],
    ids=["no-chain-key", "dev-chain-key", "short-chain-key"],
)
def test_production_refuses_to_start_without_a_chain_key(tmp_path, keys, message):
    from config.chain_keys import DEV_CHAIN_KEYS

    env = {**PRODUCTION_ENV, "LEDGER_CHAIN_KEYS": DEV_CHAIN_KEYS if keys is None else keys}
    result = _run(["manage.py", "check"], "config.settings.production", tmp_path, **env)
    assert result.returncode != 0
    assert "ledger.E015" in result.stderr and message in result.stderr, result.stderr


def test_the_dev_settings_pass_every_check_and_generate_a_local_key(tmp_path):
    result = _run(
        ["manage.py", "check", "--fail-level", "WARNING"], "config.settings.dev", tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
    assert len((tmp_path / "dev-secret-key").read_text().strip()) >= 50


def test_the_test_settings_pass_every_check():
    assert settings.SILENCED_SYSTEM_CHECKS == []
    assert [str(m) for m in run_checks()] == []


def test_the_shipped_cookie_settings_are_httponly_and_samesite():
    for cookie in ("SESSION", "CSRF"):
        assert getattr(settings, f"{cookie}_COOKIE_HTTPONLY") is True
        assert getattr(settings, f"{cookie}_COOKIE_SAMESITE") in ("Lax", "Strict")


CSP = settings.CONTENT_SECURITY_POLICY
MIDDLEWARE = list(settings.MIDDLEWARE)


@pytest.mark.parametrize(
    "overrides, check_id",
    [
        ({"LEDGER_MAX_ACCEPTANCE_MONTHS": 0}, "ledger.E002"),
        ({"LEDGER_MAX_ACCEPTANCE_MONTHS": 600}, "ledger.E002"),
        ({"TIME_ZONE": "Mars/Olympus_Mons"}, "ledger.E003"),
        ({"LEDGER_PRODUCTION": True, "CELERY_BROKER_URL": "memory://"}, "ledger.E004"),
        ({"SITE_URL": "ledger.example.com"}, "ledger.E005"),
        ({"LEDGER_WEBHOOK_TOLERANCE_SECONDS": 0}, "ledger.E006"),
        ({"LEDGER_METRIC_TIMEOUT_SECONDS": "5"}, "ledger.E006"),
        ({"LEDGER_REMINDER_EVERY_DAYS": 0}, "ledger.E006"),
        ({"LEDGER_DEFAULT_LEAD_DAYS": [30, -1]}, "ledger.E007"),
        ({"LEDGER_METRIC_ALLOWED_HOSTS": ["https://metrics.example.com/x"]}, "ledger.E008"),
        (
            {
                "CONTENT_SECURITY_POLICY": {
                    "DIRECTIVES": {
                        **CSP["DIRECTIVES"],
                        "script-src": ["'self'", "'unsafe-inline'"],
                    }
                }
            },
            "ledger.E009",
        ),
        (
            {"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {**CSP["DIRECTIVES"], "base-uri": []}}},
            "ledger.E009",
        ),
        (
            {"MIDDLEWARE": [m for m in MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]},
            "ledger.E010",
        ),
        ({"AXES_LOCKOUT_PARAMETERS": ["username"]}, "ledger.E011"),
        (
            {
                "LEDGER_PRODUCTION": True,
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            },
            "ledger.E012",
        ),
        (
            {"CELERY_BEAT_SCHEDULE": {"sweep-triggers": {"task": "x", "schedule": 0}}},
            "ledger.E013",
        ),
        ({"LEDGER_PRODUCTION": True, "LEDGER_CHAIN_KEYS": ""}, "ledger.E015"),
        ({"LEDGER_CHAIN_KEYS": "k1:not base64!"}, "ledger.E015"),
        ({"LEDGER_CHAIN_KEY_ID": "k9"}, "ledger.E015"),
        ({"SITE_URL": "http://localhost:8000"}, "ledger.W001"),
        ({"LEDGER_PRODUCTION": True, "ALLOWED_HOSTS": ["*"]}, "ledger.W002"),
        ({"LEDGER_PRODUCTION": True, "SITE_URL": "http://ledger.example.com"}, "ledger.W003"),
    ],
)
def test_a_bad_setting_is_reported_with_its_stable_id(overrides, check_id):
    with override_settings(**overrides):
        ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert check_id in ids


def test_errors_stop_management_commands(tmp_path):
    result = _run(
        ["manage.py", "check"],
        "config.settings.dev",
        tmp_path,
        LEDGER_MAX_ACCEPTANCE_MONTHS="0",
    )
    assert result.returncode != 0
    assert "ledger.E002" in result.stderr

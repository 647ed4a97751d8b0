"""System checks that fail fast on bad configuration (stable ids, as healthchecks does).

Errors stop `manage.py` commands, the web server and Celery from starting; the
deploy-only warnings appear with `manage.py check --deploy`. None of them fires
under the shipped dev, test and production settings (tests/platform/test_checks.py).

Ids (never renumber; add new ones at the end):
  ledger.E001  SECRET_KEY is empty
  ledger.E002  LEDGER_MAX_ACCEPTANCE_MONTHS out of range
  ledger.E003  TIME_ZONE is not a known IANA time zone
  ledger.E004  the in-memory Celery broker in production
  ledger.E005  SITE_URL is not an absolute http(s) URL
  ledger.E006  a numeric LEDGER_* setting out of range
  ledger.E007  LEDGER_DEFAULT_LEAD_DAYS is not a list of positive day counts
  ledger.E008  LEDGER_METRIC_ALLOWED_HOSTS holds something other than host names
  ledger.E009  the Content-Security-Policy lost one of its strict directives
  ledger.E010  CSPMiddleware is not right after SecurityMiddleware
  ledger.E011  django-axes would lock out a username regardless of the IP address
  ledger.E012  production mail goes nowhere (locmem/dummy backend)
  ledger.E013  the trigger sweep interval in the beat schedule is not positive
  ledger.E014  the sweep's probe budget is not shorter than the sweep interval
  ledger.E015  the ledger chain key is missing in production, malformed, or the public dev key
  ledger.W001  SITE_URL points at localhost (deploy)
  ledger.W002  ALLOWED_HOSTS accepts any host in production (deploy)
  ledger.W003  SITE_URL is plain http in production (deploy)
"""

from __future__ import annotations

import re
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# (setting, minimum, maximum, default if unset): numbers a deployment may tune.
NUMERIC_LIMITS = [
    ("LEDGER_METRIC_TIMEOUT_SECONDS", 0.1, 120, 5.0),
    ("LEDGER_METRIC_FAILURES_BEFORE_ALERT", 1, 1000, 3),
    ("LEDGER_METRIC_CONCURRENCY", 1, 256, 8),
    ("LEDGER_SWEEP_PROBE_BUDGET_SECONDS", 0.1, 3600, 30.0),
    ("LEDGER_REMINDER_EVERY_DAYS", 1, 365, 3),
    ("LEDGER_REMINDERS_BEFORE_ESCALATION", 0, 100, 3),
    ("LEDGER_WEBHOOK_TOLERANCE_SECONDS", 1, 86_400, 300),
]
MAX_ACCEPTANCE_MONTHS = 60
HOST_RE = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$")
STRICT_CSP = {
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}


def _is_production() -> bool:
    return bool(getattr(settings, "LEDGER_PRODUCTION", False))


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register()
def ledger_settings_check(app_configs, **kwargs):
    problems = []
    if not settings.SECRET_KEY:
        problems.append(Error("SECRET_KEY is empty.", id="ledger.E001"))

    months = settings.LEDGER_MAX_ACCEPTANCE_MONTHS
    if not _is_number(months) or not 1 <= months <= MAX_ACCEPTANCE_MONTHS:
        problems.append(
            Error(
                f"LEDGER_MAX_ACCEPTANCE_MONTHS is {months!r}; it must be between 1 and "
                f"{MAX_ACCEPTANCE_MONTHS}.",
                id="ledger.E002",
            )
        )

    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        problems.append(
            Error(
                f"TIME_ZONE {settings.TIME_ZONE!r} is not a known time zone.",
                hint="Use an IANA name such as 'Europe/Berlin' or 'UTC'.",
                id="ledger.E003",
            )
        )

    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if _is_production() and broker.startswith("memory://"):
        problems.append(
            Error(
                "CELERY_BROKER_URL is memory:// in production: tasks would never leave the "
                "process that queued them.",
                hint="Use redis://…, amqp://… (or filesystem:// on a single machine).",
                id="ledger.E004",
            )
        )

    site = urlsplit(str(settings.SITE_URL))
    if site.scheme not in ("http", "https") or not site.netloc:
        problems.append(
            Error(
                f"SITE_URL {settings.SITE_URL!r} is not an absolute http(s) URL.",
                hint="e.g. SITE_URL=https://ledger.example.com",
                id="ledger.E005",
            )
        )

    for name, low, high, default in NUMERIC_LIMITS:
        value = getattr(settings, name, default)
        if not _is_number(value) or not low <= value <= high:
            problems.append(
                Error(
                    f"{name} is {value!r}; it must be between {low} and {high}.",
                    id="ledger.E006",
                )
            )

    lead_days = getattr(settings, "LEDGER_DEFAULT_LEAD_DAYS", [30, 7, 1])
    if not isinstance(lead_days, list | tuple) or not all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 3650 for d in lead_days
    ):
        problems.append(
            Error(
                f"LEDGER_DEFAULT_LEAD_DAYS is {lead_days!r}; it must be a list of day counts "
                "between 1 and 3650.",
                id="ledger.E007",
            )
        )

    hosts = getattr(settings, "LEDGER_METRIC_ALLOWED_HOSTS", [])
    bad_hosts = [h for h in hosts if not isinstance(h, str) or not HOST_RE.match(h)]
    if bad_hosts:
        problems.append(
            Error(
                f"LEDGER_METRIC_ALLOWED_HOSTS must hold bare host names, not {bad_hosts!r}.",
                hint="Write 'metrics.example.com', without scheme or path.",
                id="ledger.E008",
            )
        )

    sweep = settings.CELERY_BEAT_SCHEDULE.get("sweep-triggers", {}).get("schedule", 60.0)
    if _is_number(sweep) and sweep <= 0:
        problems.append(
            Error(
                f"LEDGER_SWEEP_INTERVAL_SECONDS is {sweep!r}; it must be positive.",
                id="ledger.E013",
            )
        )
    budget = getattr(settings, "LEDGER_SWEEP_PROBE_BUDGET_SECONDS", 30.0)
    if _is_number(sweep) and _is_number(budget) and sweep > 0 and budget >= sweep:
        problems.append(
            Error(
                f"LEDGER_SWEEP_PROBE_BUDGET_SECONDS ({budget!r}) is not shorter than the sweep "
                f"interval ({sweep!r} s): sweeps would pile up behind slow metric endpoints.",
                hint="Keep the budget well below LEDGER_SWEEP_INTERVAL_SECONDS.",
                id="ledger.E014",
            )
        )
    return problems


@register(Tags.security)
def ledger_security_check(app_configs, **kwargs):
    """Guards on the security baseline, so a later edit cannot quietly weaken it."""
    problems = []
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
    script_src = [str(s) for s in directives.get("script-src", directives.get("default-src", []))]
    weak = [s for s in script_src if s in ("'unsafe-inline'", "'unsafe-eval'", "*")]
    missing = [name for name, value in STRICT_CSP.items() if directives.get(name) != value]
    if weak or missing or not directives:
        problems.append(
            Error(
                "The Content-Security-Policy is weaker than the baseline "
                f"(script-src extras: {weak}; directives not 'none': {missing}).",
                hint="Keep script-src 'self' + nonce and object-src/base-uri/frame-ancestors "
                "'none' in CONTENT_SECURITY_POLICY.",
                id="ledger.E009",
            )
        )

    middleware = list(settings.MIDDLEWARE)
    security = "django.middleware.security.SecurityMiddleware"
    csp = "csp.middleware.CSPMiddleware"
    if csp not in middleware or (
        security in middleware and middleware.index(csp) != middleware.index(security) + 1
    ):
        problems.append(
            Error(
                "csp.middleware.CSPMiddleware must come right after SecurityMiddleware, so "
                "that error pages carry the policy too.",
                id="ledger.E010",
            )
        )

    params = getattr(settings, "AXES_LOCKOUT_PARAMETERS", None) or ["ip_address"]
    username_alone = any(p == "username" or p == ["username"] for p in params)
    if username_alone:
        problems.append(
            Error(
                "AXES_LOCKOUT_PARAMETERS locks out a username from every address: an attacker "
                "anywhere could lock a real user out.",
                hint='Use [["username", "ip_address"]].',
                id="ledger.E011",
            )
        )

    backend = getattr(settings, "EMAIL_BACKEND", "")
    if _is_production() and backend.rsplit(".", 2)[-2:-1] in (["locmem"], ["dummy"]):
        problems.append(
            Error(
                f"EMAIL_BACKEND is {backend} in production: no notification would be sent.",
                hint="Set EMAIL_URL=smtp://… (or consolemail:// / filemail:///path).",
                id="ledger.E012",
            )
        )
    return problems


@register(Tags.security)
def ledger_chain_key_check(app_configs, **kwargs):
    """The ledger chain's HMAC key lives outside the database (config/chain_keys.py)."""
    from .chain_keys import DEV_CHAIN_KEYS, ChainKeyError, parse_chain_keys

    raw = getattr(settings, "LEDGER_CHAIN_KEYS", "")
    hint = (
        "Set LEDGER_CHAIN_KEYS=<id>:<base64 of 32+ random bytes> (keep older keys after a "
        "rotation, and LEDGER_CHAIN_KEY_ID=<id> of the current one): docs/security.md."
    )
    try:
        keys = parse_chain_keys(raw, getattr(settings, "LEDGER_CHAIN_KEY_ID", ""))
    except ChainKeyError as exc:
        return [Error(f"LEDGER_CHAIN_KEYS is unusable: {exc}", hint=hint, id="ledger.E015")]
    if not _is_production():
        return []
    if keys is None:
        return [
            Error(
                "LEDGER_CHAIN_KEYS is empty in production: signatures could not be sealed "
                "and the ledger could be rewritten unseen.",
                hint=hint,
                id="ledger.E015",
            )
        ]
    dev_secret = DEV_CHAIN_KEYS.partition(":")[2]
    dev = parse_chain_keys(f"x:{dev_secret}")
    if dev is not None and keys.current == dev.current:
        return [
            Error("LEDGER_CHAIN_KEYS uses the public development key.", hint=hint, id="ledger.E015")
        ]
    return []


@register(Tags.security, deploy=True)
def ledger_deploy_check(app_configs, **kwargs):
    problems = []
    site = urlsplit(str(settings.SITE_URL))
    if not settings.DEBUG and site.hostname in ("localhost", "127.0.0.1", "::1"):
        problems.append(
            Warning(
                "SITE_URL still points at localhost; links in emails will not work.",
                hint="Set SITE_URL to the public address of the app.",
                id="ledger.W001",
            )
        )
    if _is_production() and "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Warning(
                "ALLOWED_HOSTS contains '*': any Host header is accepted.",
                hint="List the public host names of the app.",
                id="ledger.W002",
            )
        )
    if _is_production() and site.scheme == "http" and site.hostname not in ("localhost",):
        problems.append(
            Warning(
                "SITE_URL uses plain http in production; links in emails will be redirected "
                "or fail.",
                hint="Use https://…",
                id="ledger.W003",
            )
        )
    return problems

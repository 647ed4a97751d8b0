"""System checks that fail fast on bad configuration (stable ids, as healthchecks does)."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def ledger_settings_check(app_configs, **kwargs):
    problems = []
    if not settings.SECRET_KEY:
        problems.append(Error("SECRET_KEY is empty.", id="ledger.E001"))
    if settings.LEDGER_MAX_ACCEPTANCE_MONTHS < 1:
        problems.append(Error("LEDGER_MAX_ACCEPTANCE_MONTHS must be at least 1.", id="ledger.E002"))
    if not settings.DEBUG and settings.SITE_URL.startswith("http://localhost"):
        problems.append(
            Warning(
                "SITE_URL still points at localhost; links in emails will not work.",
                hint="Set SITE_URL to the public address of the app.",
                id="ledger.W001",
            )
        )
    return problems

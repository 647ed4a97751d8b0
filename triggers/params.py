"""Each kind's parameters: validated and normalised before a trigger is saved.

`clean_params(kind, params)` is the one entry point (services, the acceptance sync and
the forms' callers use it); each kind has one cleaner in `CLEANERS`. Raises
``ValidationError`` with the field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from . import probes
from .evaluate import DEFAULT_METRIC_INTERVAL_MINUTES
from .models import Trigger

K = Trigger.Kind


def parse_day(value, label: str = "date") -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationError({label: "Enter a date as YYYY-MM-DD."}) from exc
    # Lead days and time zones move the instant by years: keep clear of date.min/max.
    if not 1900 <= value.year <= 2999:
        raise ValidationError({label: "Give a date between the years 1900 and 2999."})
    return value


def parse_lead_days(value) -> list[int]:
    if value in (None, ""):
        return list(settings.LEDGER_DEFAULT_LEAD_DAYS)
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    try:
        days = sorted({int(v) for v in value}, reverse=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"lead_days": "Lead days are whole numbers, e.g. 30, 7, 1."}) from exc
    if any(d <= 0 or d > 3650 for d in days):
        raise ValidationError({"lead_days": "Lead days are between 1 and 3650."})
    return days


def _date_params(params: dict) -> dict:
    if not params.get("date"):
        raise ValidationError({"date": "A date trigger needs its date."})
    return {
        "date": parse_day(params["date"]).isoformat(),
        "lead_days": parse_lead_days(params.get("lead_days")),
    }


def _metric_params(params: dict) -> dict:
    url = str(params.get("url", "")).strip()
    if not url:
        raise ValidationError({"url": "A metric trigger needs the URL to poll."})
    try:
        probes.check_url(url)
    except probes.ProbeRefused as exc:
        raise ValidationError({"url": str(exc)}) from exc
    path = str(params.get("path", "")).strip()
    if not path:
        raise ValidationError({"path": "Give the dotted path of the number, e.g. data.users."})
    op = str(params.get("op", "")).strip()
    if op not in probes.OPERATORS:
        raise ValidationError({"op": f"Choose one of {', '.join(probes.OPERATORS)}."})
    try:
        threshold = float(params.get("threshold"))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"threshold": "The threshold is a number."}) from exc
    try:
        interval = int(params.get("interval_minutes") or DEFAULT_METRIC_INTERVAL_MINUTES)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"interval_minutes": "Minutes between probes."}) from exc
    if not 1 <= interval <= 7 * 24 * 60:
        raise ValidationError({"interval_minutes": "Between 1 minute and a week."})
    return {
        "url": url,
        "path": path,
        "op": op,
        "threshold": threshold,
        "interval_minutes": interval,
    }


def _no_params(params: dict) -> dict:
    return {}


CLEANERS: dict[str, Callable[[dict], dict]] = {
    K.DATE: _date_params,
    K.EXPIRY: _date_params,
    K.METRIC: _metric_params,
    K.INITIATIVE: _no_params,
    K.WEBHOOK: _no_params,
    K.MITIGATION_OVERDUE: _no_params,
}


def clean_params(kind: str, params: dict | None) -> dict:
    """Validate a kind's parameters; return the normalised dict (raises ValidationError)."""
    cleaner = CLEANERS.get(kind)
    if cleaner is None:
        raise ValidationError({"kind": "Unknown kind of trigger."})
    return cleaner(dict(params or {}))


def clean_addresses(text: str) -> str:
    """The "extra addresses" field: one lower-cased address a line, no repeats."""
    lines = []
    for raw in (text or "").replace(",", "\n").splitlines():
        address = parseaddr(raw.strip())[1].lower()
        if not raw.strip():
            continue
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({"extra_addresses": f"Not an email address: {raw}"}) from exc
        lines.append(address)
    return "\n".join(dict.fromkeys(lines))

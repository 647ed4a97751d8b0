"""The one date format and the one date-time format of the whole product.

Pages, emails and history show a day as `2026-12-01` and an instant as
`2026-12-01 16:30 CET`, in the time zone active while rendering: the viewer's own
(config.accounts.middleware.UserTimezoneMiddleware) on pages, the recipient's in
emails (config.emails.render_email). Templates use the `ledger_date` and
`ledger_datetime` filters (config/templatetags/ledger_dates.py, a builtin: no `load`);
Python code uses the functions below. ISO order, because a person anywhere reads it
the same way, and it is what the date inputs take (config.widgets.IsoDateInput).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import dateformat, timezone

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"


def format_date(value) -> str:
    """A day; for an instant, the day it is in the active time zone. "" for nothing."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    if not isinstance(value, date):
        return str(value)
    return dateformat.format(value, DATE_FORMAT)


def format_datetime(value, zone: str | None = None) -> str:
    """An instant with its time zone's abbreviation, in the active time zone (or `zone`,
    e.g. "UTC"). A bare day is shown as a day. "" for nothing."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    return dateformat.format(_local(value, zone), DATETIME_FORMAT)


def _local(value: datetime, zone: str | None = None) -> datetime:
    if timezone.is_naive(value):
        return value
    if zone:
        try:
            return value.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.localtime(value)

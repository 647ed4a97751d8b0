"""The ledger's one clock: its "today" is the date in settings.TIME_ZONE, for everyone.

Pages show times in each viewer's own zone (config.accounts.middleware activates it),
but every rule about dates — the day a decision was decided on, whether an expiry is
in the past, the day a date trigger fires — uses this one calendar, so the same
instant gives every user, the API, the sweep and Celery the same date.
Never use `timezone.localdate()` or `date.today()` for a ledger rule: the first
follows the viewer's zone, the second the server's.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

UTC = ZoneInfo("UTC")


def ledger_zone() -> ZoneInfo:
    """The zone the ledger's calendar runs in (settings.TIME_ZONE)."""
    return ZoneInfo(settings.TIME_ZONE)


def ledger_now() -> datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def ledger_today(now: datetime | None = None) -> date:
    """The ledger's date at `now` (default: this instant), whoever is looking."""
    return (now or ledger_now()).astimezone(ledger_zone()).date()


def start_of_day(day: date) -> datetime:
    """The first instant of `day` in the ledger's zone, as an aware UTC datetime.

    zoneinfo picks the right offset for that wall-clock time, so this is correct on
    daylight-saving change days (midnight exists on both in Europe/Berlin).
    """
    return datetime.combine(day, time(0, 0), tzinfo=ledger_zone()).astimezone(UTC)

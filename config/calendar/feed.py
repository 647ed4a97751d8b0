"""The iCalendar (RFC 5545) document of one person's dates, built with ``icalendar``."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .registry import CalendarEvent, events_for

PRODID = "-//Decision Ledger//Calendar feed//EN"


def uid_host() -> str:
    return urlparse(settings.SITE_URL).hostname or "decision-ledger"


def _event(item: CalendarEvent, *, host: str, site: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{item.uid}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.day)  # a DATE value: an all-day event
    event.add("dtend", item.day + timedelta(days=1))
    event.add("summary", item.summary)
    event.add("transp", "TRANSPARENT")
    if item.changed is not None:
        event.add("last-modified", item.changed)
    description = item.description
    if item.url:
        event.add("url", site + item.url)
        description = f"{description}\n\n{site}{item.url}".strip()
    if description:
        event.add("description", description)
    return event


def calendar_for(user, *, now: datetime | None = None) -> bytes:
    """The feed's bytes: every event of every registered provider for ``user``."""
    now = now or timezone.now()
    site = settings.SITE_URL.rstrip("/")
    host = uid_host()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Decision Ledger — {user.printed_name}")
    calendar.add("x-published-ttl", "PT1H")
    for item in events_for(user):
        calendar.add_component(_event(item, host=host, site=site, stamp=now))
    return calendar.to_ical()

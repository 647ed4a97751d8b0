"""Dated events each app contributes to a person's calendar feed.

Each domain app registers a provider from its ``AppConfig.ready()`` (as for the search
and the home page); ``config`` never imports the apps. A provider returns the all-day
events that matter to ``user`` with a fixed number of queries.

UIDs are stable: they name the row and the kind of date (``trigger-<uuid>-fires``,
``acceptance-<pk>-expires``…), never the date itself, so a calendar client updates the
event in place when the date moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable; the host part is added by the feed
    day: date
    summary: str
    description: str = ""
    url: str = ""  # a path on this site
    # When the dated row last changed (LAST-MODIFIED / SEQUENCE hint); None if unknown.
    changed: object | None = None


class CalendarProvider(Protocol):
    key: str

    def events(self, *, user) -> list[CalendarEvent]: ...


_providers: dict[str, CalendarProvider] = {}


def register(provider: CalendarProvider) -> None:
    _providers[provider.key] = provider


def providers() -> list[CalendarProvider]:
    return list(_providers.values())


def events_for(user) -> list[CalendarEvent]:
    events = [e for p in providers() for e in p.events(user=user)]
    return sorted(events, key=lambda e: (e.day, e.uid))

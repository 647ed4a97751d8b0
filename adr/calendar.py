"""The adr app's calendar events (registered in ``AdrConfig.ready``): the revisit-by
dates of open decisions in the logs I write to (see ``adr.inbox.logs_written_by``)."""

from __future__ import annotations

from config.calendar.registry import CalendarEvent

from .inbox import logs_written_by
from .models import Decision

CLOSED = (Decision.Status.REJECTED, Decision.Status.DEPRECATED, Decision.Status.SUPERSEDED)


class RevisitDates:
    key = "adr"

    def events(self, *, user) -> list[CalendarEvent]:
        rows = (
            Decision.objects.filter(log_id__in=logs_written_by(user), revisit_by__isnull=False)
            .exclude(status__in=CLOSED)
            .select_related("log")
            .only("number", "title", "revisit_by", "log__key")
        )
        return [
            CalendarEvent(
                uid=f"decision-{d.pk}-revisit",
                day=d.revisit_by,
                summary=f"Revisit {d.reference}: {d.title}",
                url=d.get_absolute_url(),
            )
            for d in rows
            if d.revisit_by is not None  # always (revisit_by__isnull=False); narrows the type
        ]

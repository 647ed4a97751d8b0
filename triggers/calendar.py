"""The triggers app's calendar events (registered in ``TriggersConfig.ready``): the day
each live date trigger I am involved in fires, and its warning days."""

from __future__ import annotations

from datetime import timedelta

from config.calendar.registry import CalendarEvent

from .access import involves, readable_trigger_q
from .models import Trigger


class TriggerDates:
    key = "triggers"

    def events(self, *, user) -> list[CalendarEvent]:
        rows = Trigger.objects.filter(
            involves(user),
            readable_trigger_q(user),  # not those of a private log they no longer read
            kind=Trigger.Kind.DATE,
            state__in=Trigger.LIVE_STATES,
        ).only("uuid", "name", "params", "description")
        events = []
        for trigger in rows:
            day = trigger.fire_day
            if day is None:
                continue
            url = trigger.get_absolute_url()
            events.append(
                CalendarEvent(
                    uid=f"trigger-{trigger.uuid}-fires",
                    day=day,
                    summary=f"Trigger fires: {trigger.name}",
                    description=trigger.description,
                    url=url,
                )
            )
            for days in trigger.lead_days:
                events.append(
                    CalendarEvent(
                        uid=f"trigger-{trigger.uuid}-warning-{days}d",
                        day=day - timedelta(days=days),
                        summary=f"{days} day{'s' if days != 1 else ''} until: {trigger.name}",
                        url=url,
                    )
                )
        return events

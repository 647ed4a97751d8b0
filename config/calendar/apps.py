from django.apps import AppConfig


class CalendarConfig(AppConfig):
    """Per-person iCalendar feeds of the dates that matter (events: calendar.registry)."""

    name = "config.calendar"
    label = "ledger_calendar"
    verbose_name = "Calendar feeds"

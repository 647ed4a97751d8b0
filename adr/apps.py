from django.apps import AppConfig


class AdrConfig(AppConfig):
    name = "adr"
    verbose_name = "Decision log"

    def ready(self) -> None:
        # Wiring only: decisions take part in the global search, the home page and the
        # JSON export.
        from config import inbox, search
        from config.api.ledger_json import SECTIONS as EXPORT_SECTIONS
        from config.calendar import registry as calendar

        from .api.export import LOGS
        from .calendar import RevisitDates
        from .inbox import NeedsReview
        from .search import DecisionSearch

        search.register(DecisionSearch())
        inbox.register(NeedsReview())
        calendar.register(RevisitDates())
        EXPORT_SECTIONS.register(LOGS)

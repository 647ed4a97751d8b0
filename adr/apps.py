from django.apps import AppConfig


class AdrConfig(AppConfig):
    name = "adr"
    verbose_name = "Decision log"

    def ready(self) -> None:
        # Wiring only: decisions take part in the global search and the home page.
        from config import inbox, search
        from config.calendar import registry as calendar

        from .calendar import RevisitDates
        from .inbox import NeedsReview
        from .search import DecisionSearch

        search.register(DecisionSearch())
        inbox.register(NeedsReview())
        calendar.register(RevisitDates())

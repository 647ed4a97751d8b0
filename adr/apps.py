from django.apps import AppConfig


class AdrConfig(AppConfig):
    name = "adr"
    verbose_name = "Decision log"

    def ready(self) -> None:
        # Wiring only: decisions take part in the global search, the home page and the
        # JSON export; emails about a log's documents go to its readers only.
        from functools import partial

        from config import inbox, readers, search
        from config.api.ledger_json import SECTIONS as EXPORT_SECTIONS
        from config.calendar import registry as calendar

        from .access import readable_log_q
        from .api.export import LOGS
        from .calendar import RevisitDates
        from .inbox import NeedsReview
        from .models import Decision, DecisionLog
        from .search import DecisionSearch

        search.register(DecisionSearch())
        inbox.register(NeedsReview())
        calendar.register(RevisitDates())
        EXPORT_SECTIONS.register(LOGS)
        # Emails about a log's documents go to its readers only (config.readers).
        readers.register(DecisionLog, readers.ByFilter(DecisionLog, readable_log_q))
        decision_q = partial(readable_log_q, prefix="log__")
        readers.register(Decision, readers.ByFilter(Decision, decision_q))

from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = "Risk acceptances"

    def ready(self) -> None:
        # Wiring only: acceptances take part in the global search.
        from config import search

        from .search import AcceptanceSearch

        search.register(AcceptanceSearch())

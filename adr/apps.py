from django.apps import AppConfig


class AdrConfig(AppConfig):
    name = "adr"
    verbose_name = "Decision log"

    def ready(self) -> None:
        # Wiring only: decisions take part in the global search.
        from config import search

        from .search import DecisionSearch

        search.register(DecisionSearch())

from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app: project templates, static files, project commands."""

    name = "config"
    label = "ledger"
    verbose_name = "Decision Ledger"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)

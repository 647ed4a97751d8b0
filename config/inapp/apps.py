from django.apps import AppConfig


class InAppConfig(AppConfig):
    """Every notification a person receives, listed in the app (read/unread)."""

    name = "config.inapp"
    label = "ledger_inapp"
    verbose_name = "In-app notifications"

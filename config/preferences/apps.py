from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    """Per person and per event class: email now, in a daily digest, or not at all."""

    name = "config.preferences"
    label = "ledger_preferences"
    verbose_name = "Notification preferences"

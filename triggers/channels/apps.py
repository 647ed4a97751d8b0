from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "triggers.channels"
    label = "channels"
    verbose_name = "Channels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Wiring only: deliver fired triggers, and show deliveries on the staff outbox.
        from adr.panels import LOG_ACTIONS
        from config.notifications.panels import OUTBOX
        from config.panels import Panel
        from triggers.fired_hooks import FIRED

        from . import selectors, services

        FIRED.register(services.deliveries_queue_for_events)
        LOG_ACTIONS.register(Panel(key="channels", template="channels/_log_action.html"))
        OUTBOX.register(
            Panel(
                key="channel-deliveries",
                title="Channel deliveries",
                template="channels/_outbox_panel.html",
                extra=selectors.outbox_panel,
            )
        )

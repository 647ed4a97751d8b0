from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"
    verbose_name = "Triggers"

    def ready(self) -> None:
        # Wiring only: plug the trigger rules into adr and risks (which never import us).
        from operator import attrgetter

        from adr.panels import DECISION_RELATED, SENSITIVITY_NOTE_BADGES
        from adr.services import DEFERRAL_ALTERNATIVES
        from config import inbox, readers, search
        from config.calendar import registry as calendar
        from config.panels import Panel
        from risks import hooks
        from risks.ledger_registry import register_chain_verifier

        from . import acceptance_panel, evaluate, ledger, plugins, removal  # noqa: F401 - evaluate registers the kinds
        from .access import readable_trigger_q
        from .calendar import TriggerDates
        from .inbox import FiredTriggers
        from .models import FiredEvent, Trigger
        from .search import TriggerSearch

        search.register(TriggerSearch())
        calendar.register(TriggerDates())
        inbox.register(FiredTriggers())

        DEFERRAL_ALTERNATIVES.register(plugins.decision_has_armed_trigger)
        hooks.SUBMIT_CHECKS.register(plugins.acceptance_submit_check)
        hooks.ACCEPTANCE_SAVED.register(plugins.acceptance_saved)
        hooks.MITIGATION_REMOVING.register(removal.mitigation_removing)
        hooks.EMAIL_CONTEXT.register(acceptance_panel.email_context)
        hooks.ACCEPTANCE_PANELS.register(acceptance_panel.PANEL)
        # The decision page lists the triggers watching it, and badges the notes they watch.
        DECISION_RELATED.register(
            Panel(
                key="triggers",
                title="Triggers",
                template="triggers/_decision_panel.html",
                prefetch=("triggers",),
                order=20,
            )
        )
        SENSITIVITY_NOTE_BADGES.register(
            Panel(key="watched-by", template="triggers/_note_badges.html", prefetch=("triggers",))
        )
        register_chain_verifier(ledger.verify_fired_events)
        # Emails about a trigger (or a firing) go to its readers only (config.readers).
        readers.register(Trigger, readers.ByFilter(Trigger, readable_trigger_q))
        readers.register(FiredEvent, readers.Following(attrgetter("trigger")))

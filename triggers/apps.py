from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "triggers"
    verbose_name = "Triggers"

    def ready(self) -> None:
        # Wiring only: plug the trigger rules into adr and risks (which never import us).
        from adr.panels import DECISION_RELATED, SENSITIVITY_NOTE_BADGES
        from adr.services import DEFERRAL_ALTERNATIVES
        from config import inbox, search
        from config.calendar import registry as calendar
        from config.panels import Panel
        from risks import hooks
        from risks.ledger_registry import register_chain_verifier

        from . import ledger, removal, services
        from .calendar import TriggerDates
        from .inbox import FiredTriggers
        from .search import TriggerSearch

        search.register(TriggerSearch())
        calendar.register(TriggerDates())
        inbox.register(FiredTriggers())

        DEFERRAL_ALTERNATIVES.register(services.decision_has_armed_trigger)
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
        if services.acceptance_submit_check not in hooks.SUBMIT_CHECKS:
            hooks.SUBMIT_CHECKS.append(services.acceptance_submit_check)
        if services.acceptance_saved not in hooks.ACCEPTANCE_SAVED:
            hooks.ACCEPTANCE_SAVED.append(services.acceptance_saved)
        if removal.mitigation_removing not in hooks.MITIGATION_REMOVING:
            hooks.MITIGATION_REMOVING.append(removal.mitigation_removing)
        register_chain_verifier(ledger.verify_fired_events)

from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = "Risk acceptances"

    def ready(self) -> None:
        # Wiring only: acceptances take part in the global search, the home page and the
        # JSON export (after adr's logs: apps are ready in INSTALLED_APPS order).
        from adr.panels import DECISION_RELATED
        from config import inbox, readers, search
        from config.api.ledger_json import SECTIONS as EXPORT_SECTIONS
        from config.calendar import registry as calendar
        from config.panels import Panel

        from .access import readable_acceptance_q
        from .calendar import AcceptanceDates
        from .export import RISK_ACCEPTANCES
        from .inbox import SECTIONS
        from .ledger_registry import register_chain_verifier
        from .models import RiskAcceptance
        from .search import AcceptanceSearch
        from .sso_signing import verify_sso_evidence

        search.register(AcceptanceSearch())
        calendar.register(AcceptanceDates())
        for section in SECTIONS:
            inbox.register(section)
        register_chain_verifier(verify_sso_evidence)
        EXPORT_SECTIONS.register(RISK_ACCEPTANCES)
        readers.register(RiskAcceptance, readers.ByFilter(RiskAcceptance, readable_acceptance_q))
        # The decision page lists the acceptances that rest on the decision.
        DECISION_RELATED.register(
            Panel(
                key="risk-acceptances",
                title="Risk acceptances",
                template="risks/_decision_panel.html",
                prefetch=("risk_acceptances",),
                order=10,
            )
        )

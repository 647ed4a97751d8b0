"""Full-text search over risk acceptances, for the global search page.

The stored ``search_document`` (migration ``risks/0003_search``) covers the title and
finding reference (A), the risk statement (B), scope and residual risk (C) and the
mitigations (D); the database keeps it current.
"""

from __future__ import annotations

from config import search
from config.accounts.roles import require_reader

from .access import readable_acceptance_q
from .models import Mitigation, RiskAcceptance

FALLBACK_FIELDS = (
    "title",
    "finding_reference",
    "risk_statement",
    "scope",
    "residual_risk",
    "mitigations__description",
)
SNIPPET_FIELDS = (
    ("title", "title"),
    ("finding_reference", "finding"),
    ("risk_statement", "risk statement"),
    ("scope", "scope"),
    ("residual_risk", "residual risk"),
)


class AcceptanceSearch:
    """The acceptances' part of the global search (registered in ``RisksConfig.ready``)."""

    key = "acceptances"
    label = "Risk acceptances"

    def search(self, *, user, query: str, limit: int) -> search.SearchResults:
        require_reader(user)
        qs = search.document_search(
            RiskAcceptance.objects.filter(readable_acceptance_q(user)),
            query=query,
            fallback_fields=FALLBACK_FIELDS,
            title_fields=("title",),
            then=("-created_at", "-id"),
        )
        page = list(qs[:limit])
        found = search.snippets(
            page,
            table="risks_riskacceptance",
            fields=SNIPPET_FIELDS,
            query=query,
            child_model=Mitigation,
            child_table="risks_mitigation",
            child_parent="acceptance_id",
            child_fields=("description",),
            child_label="mitigation",
        )
        return search.results(
            key=self.key,
            label=self.label,
            qs=qs,
            page=page,
            limit=limit,
            found=found,
            describe=lambda a: (f"RA-{a.pk}", a.title, a.get_state_display()),
        )

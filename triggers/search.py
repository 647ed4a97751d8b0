"""Full-text search over triggers, for the global search page: the stored
``search_document`` (migration ``triggers/0004_search``) covers the name (A), the
description (B) and the justification (C)."""

from __future__ import annotations

from config import search
from config.accounts.roles import require_reader

from .access import readable_trigger_q
from .models import Trigger

FIELDS = (("name", "name"), ("description", "description"), ("justification", "justification"))


class TriggerSearch:
    """The triggers' part of the global search (registered in ``TriggersConfig.ready``)."""

    key = "triggers"
    label = "Triggers"

    def search(self, *, user, query: str, limit: int) -> search.SearchResults:
        require_reader(user)
        qs = search.document_search(
            Trigger.objects.filter(readable_trigger_q(user)),
            query=query,
            fallback_fields=[name for name, _ in FIELDS],
            title_fields=("name",),
            then=("name", "id"),
        )
        page = list(qs[:limit])
        found = search.snippets(page, table="triggers_trigger", fields=FIELDS, query=query)
        return search.results(
            key=self.key,
            label=self.label,
            qs=qs,
            page=page,
            limit=limit,
            found=found,
            describe=lambda t: (t.get_kind_display(), t.name, t.get_state_display()),
        )

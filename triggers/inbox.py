"""The triggers app's section of the personal inbox (registered in
``TriggersConfig.ready``): fired triggers I watch or own that nobody has acknowledged.

I own a trigger when I own its risk acceptance or created it (see ``triggers.access``).
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.urls import reverse

from config.inbox import InboxItem

from .access import involves, readable_trigger_q
from .models import Trigger


class FiredTriggers:
    key = "fired"
    label = "Fired triggers awaiting acknowledgement"
    empty = (
        "No fired trigger waits for you. Triggers you watch or own appear here when they "
        "fire, until someone acknowledges them."
    )
    order = 20

    def open_items(self, *, user, today: date) -> QuerySet:
        return Trigger.objects.filter(
            involves(user), readable_trigger_q(user), state=Trigger.State.FIRED
        )

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .only("name", "kind", "fired_at", "state_reason")
            .order_by("fired_at", "pk")[:limit]
        )
        return [
            InboxItem(
                title=t.name,
                url=t.get_absolute_url(),
                detail=(f"Fired {t.fired_at:%d %b %Y}" if t.fired_at else "Fired")
                + (f": {t.state_reason}" if t.state_reason else ""),
                badge="fired",
            )
            for t in rows
        ]

    def more_url(self, *, user) -> str | None:
        return reverse("triggers:index") + "?state=fired"

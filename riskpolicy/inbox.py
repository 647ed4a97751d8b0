"""Home page section: my accepted risks due for review on their band's cadence."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.urls import reverse

from config.inbox import InboxItem

from .selectors import due_for_review


class ReviewsDue:
    key = "acceptance_reviews_due"
    label = "Accepted risks due for review"
    empty = (
        "No accepted risk of yours is due for review. Each risk is reviewed on the cadence "
        "of its rating band; it appears here when its turn comes."
    )
    order = 45

    def open_items(self, *, user, today: date) -> QuerySet:
        return due_for_review(today=today, owner=user, reader=user)

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        return [
            InboxItem(
                title=a.title,
                url=a.get_absolute_url(),
                detail=f"review was due {a.review_due_at.date().isoformat()}",
                badge="review due",
                when=a.review_due_at.date(),
            )
            for a in self.open_items(user=user, today=today)[:limit]
        ]

    def more_url(self, *, user) -> str | None:
        return reverse("riskpolicy:queue")

"""The adr app's section of the personal inbox (registered in ``AdrConfig.ready``):
decisions flagged "needs review" in the logs I write to.

A log I write to is one in which I created a decision and may still write (adr.access).
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.urls import reverse

from config.inbox import InboxItem

from .access import writable_logs
from .models import Decision


def logs_written_by(user) -> QuerySet:
    """The ids of the logs ``user`` writes to (a subquery): where they created a decision,
    among the logs they may still write in."""
    mine = Decision.objects.filter(created_by=user).values("log_id")
    return writable_logs(user).filter(pk__in=mine).values("pk")


class NeedsReview:
    key = "needs_review"
    label = "Decisions that need review"
    empty = (
        "Nothing to review. Decisions in the logs you write to appear here when a trigger "
        "flags them “needs review”."
    )
    order = 30

    def open_items(self, *, user, today: date) -> QuerySet:
        return Decision.objects.filter(needs_review=True, log_id__in=logs_written_by(user))

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .select_related("log")
            .only("number", "title", "needs_review_reason", "log__key")
            .order_by("log__key", "-number")[:limit]
        )
        return [
            InboxItem(
                title=f"{d.reference} {d.title}",
                url=d.get_absolute_url(),
                detail=d.needs_review_reason,
                badge="needs review",
            )
            for d in rows
        ]

    def more_url(self, *, user) -> str | None:
        return reverse("adr:decision-list")

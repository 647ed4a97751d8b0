"""The home page section "Reviews requested from you": proposed decisions someone asked
me to review that I have not reviewed in their current version, in the logs I read."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, F, OuterRef, QuerySet

from adr.access import readable_log_q
from adr.models import Decision
from config.inbox import InboxItem

from .models import Review, ReviewRequest


class ReviewsRequested:
    key = "reviews_requested"
    label = "Reviews requested from you"
    empty = (
        "No review waits for you. Proposed decisions appear here when someone asks you to "
        "review them, and again when they change after your review."
    )
    order = 15

    def open_items(self, *, user, today: date) -> QuerySet:
        reviewed = Review.objects.filter(
            decision_id=OuterRef("decision_id"),
            reviewer_id=user.pk,
            decision_version=OuterRef("decision__version"),
        )
        # Only decisions the user still reads (a reviewer who left a private log's team
        # is no longer asked).
        return ReviewRequest.objects.filter(
            readable_log_q(user, prefix="decision__log__"),
            reviewer=user,
            decision__status=Decision.Status.PROPOSED,
        ).filter(~Exists(reviewed))

    def items(self, *, user, today: date, limit: int) -> list[InboxItem]:
        rows = (
            self.open_items(user=user, today=today)
            .select_related("decision__log", "requested_by")
            .annotate(key=F("decision__log__key"))
            .order_by("-requested_at")[:limit]
        )
        return [
            InboxItem(
                title=f"{r.decision.reference} {r.decision.title}",
                url=f"{r.decision.get_absolute_url()}#review",
                detail=f"asked by {r.requested_by.printed_name}",
                badge="review",
            )
            for r in rows
        ]

    def more_url(self, *, user) -> str | None:
        return None

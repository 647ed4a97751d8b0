"""Reads for the review panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from adr.access import can_write_log
from adr.models import Decision

from .access import may_review
from .models import Review, ReviewPolicy, ReviewRequest
from .rules import Standing, standings

if TYPE_CHECKING:
    from config.accounts.models import User


@dataclass
class Panel:
    policy: ReviewPolicy | None
    requests: list[ReviewRequest]
    standings: list[Standing]
    approvals: int
    can_request: bool
    can_review: bool


def panel(*, decision: Decision, user: User) -> Panel:
    """Everything the review panel shows, in three queries."""
    policy = ReviewPolicy.objects.filter(log_id=decision.log_id).first()
    requests = list(
        ReviewRequest.objects.filter(decision=decision).select_related("reviewer", "requested_by")
    )
    reviews = list(Review.objects.filter(decision=decision).select_related("reviewer"))
    mine = standings(decision, policy, reviews)
    is_open = decision.status == Decision.Status.PROPOSED
    asked = any(r.reviewer_id == user.pk for r in requests)
    return Panel(
        policy=policy,
        requests=requests,
        standings=mine,
        approvals=sum(1 for s in mine if s.counts),
        can_request=is_open and can_write_log(user, decision.log),
        can_review=is_open and may_review(user, decision, asked=asked),
    )

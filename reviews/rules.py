"""Which reviews count, and the check the status service runs before accepting.

- A person's *current* review is their latest one.
- An approval counts only for the version of the decision it approved: once the
  decision's content changes (its version moves on), the approval is **dismissed** and
  the reviewer must approve again, as code review tools dismiss stale approvals.
- A *changes requested* verdict on the current version blocks acceptance; one on an
  earlier version no longer does (the author has changed the decision since).
- With ``deciders_only``, an approval counts only if the reviewer is named among the
  decision's deciders (the free-text field, matched on username or display name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adr.models import Decision

from .models import Review, ReviewPolicy


@dataclass(frozen=True)
class Standing:
    review: Review
    dismissed: bool  # the decision changed after this review
    counts: bool  # an approval that counts toward the log's policy


def policy_of(decision: Decision) -> ReviewPolicy | None:
    return ReviewPolicy.objects.filter(log_id=decision.log_id).first()


def decider_names(decision: Decision) -> set[str]:
    return {n.strip().lower() for n in re.split(r"[\n,;]+", decision.deciders or "") if n.strip()}


def is_decider(user, names: set[str]) -> bool:
    known = {
        (user.username or "").lower(),
        (getattr(user, "display_name", "") or "").lower(),
        (user.get_full_name() or "").lower(),
    }
    return bool(known - {""} & names)


def standings(
    decision: Decision, policy: ReviewPolicy | None, reviews: list[Review]
) -> list[Standing]:
    """Each reviewer's current review (``reviews`` oldest first, with reviewers loaded)."""
    latest: dict[int, Review] = {}
    for review in reviews:
        latest[review.reviewer_id] = review
    names = decider_names(decision) if policy and policy.deciders_only else set()
    out = []
    for review in latest.values():
        dismissed = review.decision_version != decision.version
        counts = (
            review.verdict == Review.Verdict.APPROVE
            and not dismissed
            and (not names or is_decider(review.reviewer, names))
        )
        out.append(Standing(review=review, dismissed=dismissed, counts=counts))
    return out


def acceptance_check(*, decision: Decision, status: str, actor) -> str | None:
    """adr's status check: refuse accepting without the approvals the log requires, or
    while a reviewer requests changes on the current version."""
    if status != Decision.Status.ACCEPTED:
        return None
    policy = policy_of(decision)
    reviews = list(Review.objects.filter(decision=decision).select_related("reviewer"))
    mine = standings(decision, policy, reviews)
    blocking = [
        s.review.reviewer
        for s in mine
        if s.review.verdict == Review.Verdict.CHANGES and not s.dismissed
    ]
    if blocking:
        who = ", ".join(sorted(u.printed_name for u in blocking))
        return (
            f"{who} requested changes to this version; change the decision or ask for a new review."
        )
    needed = policy.required_approvals if policy else 0
    have = [s.review.reviewer for s in mine if s.counts]
    if len(have) >= needed:
        return None
    scope = " from its deciders" if policy and policy.deciders_only else ""
    given = ", ".join(sorted(u.printed_name for u in have)) or "none"
    stale = sum(1 for s in mine if s.dismissed and s.review.verdict == Review.Verdict.APPROVE)
    note = (
        f" {stale} earlier approval(s) were dismissed because the decision changed after them."
        if stale
        else ""
    )
    return (
        f"This log needs {needed} approval(s) of the current version{scope} before a decision "
        f"is accepted; it has {len(have)} ({given}).{note}"
    )

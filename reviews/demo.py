"""Demo decision review (called by ``seed_demo`` after the decision log's demo): the
proposed gateway-authorizer decision in AUTH is under review by Sofia and Audrey, and
Sofia has asked Alice a question about it. Idempotent: nothing is written once the
decision has a review request."""

from __future__ import annotations

from adr.demo import AUTH_KEY
from adr.models import Decision
from comments.services import comment_post

from .models import ReviewRequest
from .services import review_request

UNDER_REVIEW = 4  # AUTH-0004, proposed in its demo file
REVIEWERS = ("sofia", "audrey")
QUESTION = (
    "@alice does the refresh route also cover the legacy frontend, or only the new "
    "Next.js apps? The sunset trigger assumes the legacy one goes first."
)


def seed(*, users: dict, stdout=None) -> str:
    if not all(name in users for name in ("alice", *REVIEWERS)):
        return ""
    decision = Decision.objects.filter(log__key=AUTH_KEY, number=UNDER_REVIEW).first()
    if decision is None or decision.status != Decision.Status.PROPOSED:
        return ""
    if ReviewRequest.objects.filter(decision=decision).exists():
        return "decision review: kept"
    review_request(actor=users["alice"], decision=decision, usernames=REVIEWERS)
    comment_post(actor=users["sofia"], document=decision, body=QUESTION)
    return f"decision review: {decision.reference} under review, with a comment"

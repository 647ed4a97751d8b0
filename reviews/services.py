"""The writes of decision review: the log's policy, review requests, reviews."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from adr.access import can_read_log, require_decision_writer, require_log_writer
from adr.models import Decision, DecisionLog
from config import concurrency
from config.accounts.roles import can_read, require_reader
from config.errors import refuse_nul
from config.history import tracked_save
from config.markup import render_markdown
from config.notifications.services import notify_users
from config.notifications.table import audience

from .access import require_reviewer
from .models import MAX_APPROVALS, Review, ReviewPolicy, ReviewRequest

if TYPE_CHECKING:
    from config.accounts.models import User


def policy_set(
    *,
    actor: User,
    log: DecisionLog,
    required_approvals: int,
    deciders_only: bool,
    expected_version: int | None = None,
) -> ReviewPolicy:
    """Set how many approvals the decisions of ``log`` need (staff and its architects)."""
    require_log_writer(actor, log)
    if not 0 <= required_approvals <= MAX_APPROVALS:
        raise ValidationError({"required_approvals": [f"Between 0 and {MAX_APPROVALS} approvals."]})
    with transaction.atomic():
        policy = ReviewPolicy.objects.select_for_update().filter(log=log).first()
        if policy is None:
            policy = ReviewPolicy(
                log=log, required_approvals=required_approvals, deciders_only=deciders_only
            )
            try:
                with transaction.atomic():  # two first saves: the second finds the first
                    tracked_save(policy, actor=actor, reason="review policy set")
                return policy
            except IntegrityError:
                policy = ReviewPolicy.objects.select_for_update().get(log=log)
        concurrency.check_version(policy, expected_version)
        changed = concurrency.assign(
            policy, required_approvals=required_approvals, deciders_only=deciders_only
        )
        if changed:
            concurrency.save_changed(policy, fields=changed, actor=actor, reason="review policy")
    return policy


def _require_open(decision: Decision) -> None:
    if decision.status != Decision.Status.PROPOSED:
        raise ValidationError("Only a proposed decision is reviewed.")


def review_request(
    *, actor: User, decision: Decision, usernames: Iterable[str]
) -> list[ReviewRequest]:
    """Ask people to review a proposed decision; each new reviewer is told once."""
    require_decision_writer(actor, decision)
    _require_open(decision)
    names = [n.strip().lstrip("@") for n in usernames if n.strip()]
    refuse_nul(reviewers=names)
    if not names:
        raise ValidationError({"reviewers": ["Name at least one reviewer."]})
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    problems = []
    for name in names:
        user = users.get(name)
        if user is None or not user.is_active:
            problems.append(f"{name} is not an active user.")
        elif not can_read(user):
            problems.append(f"{name} has no role in this ledger, so cannot review.")
        elif not can_read_log(user, decision.log):
            problems.append(f"{name} cannot read this team's private log, so cannot review.")
        elif user.pk == decision.created_by_id:
            problems.append(f"{name} wrote this decision; ask someone else.")
    if problems:
        raise ValidationError({"reviewers": problems})
    with transaction.atomic():
        known = set(
            ReviewRequest.objects.filter(decision=decision).values_list("reviewer_id", flat=True)
        )
        new = []
        for name in dict.fromkeys(names):
            user = users[name]
            if user.pk in known:
                continue
            request = ReviewRequest(decision=decision, reviewer=user, requested_by=actor)
            tracked_save(request, actor=actor, reason="review requested")
            new.append(request)
        hearing = audience("review.requested", actor=actor, reviewers=[r.reviewer for r in new])
        if hearing:
            notify_users(
                users=hearing,
                event="review.requested",
                key=f"reviews:{decision.pk}:requested",
                template="review-requested",
                context={"decision": decision, "by": actor, "url": decision.get_absolute_url()},
                about=decision,
            )
    return new


def review_submit(
    *, actor: User, decision: Decision, verdict: str, body: str = "", expected_version: int | None
) -> Review:
    """Approve or request changes on the version of ``decision`` the reviewer read
    (who may: reviews.access)."""
    require_reader(actor)
    if verdict not in Review.Verdict.values:
        raise ValidationError({"verdict": ["Approve, or request changes."]})
    refuse_nul(body=body or "")
    body = (body or "").strip()
    if verdict == Review.Verdict.CHANGES and not body:
        raise ValidationError({"body": ["Say which changes you request."]})
    with transaction.atomic():
        locked = concurrency.lock(decision)
        _require_open(locked)
        asked = ReviewRequest.objects.filter(decision=locked, reviewer=actor).exists()
        require_reviewer(actor, locked, asked=asked)
        concurrency.check_version(locked, expected_version)
        review = Review(
            decision=locked,
            reviewer=actor,
            verdict=verdict,
            body=body,
            body_html=render_markdown(body),
            decision_version=locked.version,
        )
        review.save()
        asking = ReviewRequest.objects.filter(decision=locked).select_related("requested_by")
        named = [locked.created_by, *(r.requested_by for r in asking)]
        people = {u.pk: u for u in named if u is not None}
        # Only those who still read the log hear of it (one who left a private log's team
        # is not sent its review).
        authors = [u for u in people.values() if can_read_log(u, locked.log)]
        hearing = audience("review.submitted", actor=actor, author=authors)
        if hearing:
            notify_users(
                users=hearing,
                event="review.submitted",
                key=f"reviews:{review.pk}:submitted",
                template="review-submitted",
                context={"decision": locked, "review": review, "url": locked.get_absolute_url()},
                about=locked,
            )
    return review

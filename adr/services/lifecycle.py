"""A decision's status: the lifecycle, the deferral rule and the "needs review" flag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config import concurrency
from config.clock import ledger_today
from config.history import tracked_save
from config.registry import Registry

from .. import status_checks
from ..access import require_decision_writer
from ..models import Decision

if TYPE_CHECKING:
    from config.accounts.models import User

S = Decision.Status

# proposed → accepted | rejected | deferred; accepted → deprecated | superseded.
# A deferred decision is revisited: it may become proposed again, or be decided.
TRANSITIONS: dict[str, set[str]] = {
    S.PROPOSED: {S.ACCEPTED, S.REJECTED, S.DEFERRED},
    S.DEFERRED: {S.PROPOSED, S.ACCEPTED, S.REJECTED},
    S.ACCEPTED: {S.DEPRECATED, S.SUPERSEDED},
    S.REJECTED: set(),
    S.DEPRECATED: set(),
    S.SUPERSEDED: set(),
}

DeferralAlternative = Callable[[Decision], bool]

DEFERRAL_ALTERNATIVES: Registry[DeferralAlternative] = Registry(
    "adr.deferral_alternatives",
    """What else than a revisit-by date backs a deferral ("this deferral has a way back").

    Contract: ``check(decision) -> bool`` for a saved decision (``pk`` set), True if the
    registering app holds something that brings the decision back (the triggers app:
    "an armed trigger watches it"). Called inside the writing transaction, on every
    status change to or edit of a deferred decision; it may query but must not write.
    Registered from the later app's ``AppConfig.ready()``.""",
)


def deferral_is_backed(decision: Decision) -> bool:
    if decision.revisit_by:
        return True
    return decision.pk is not None and any(check(decision) for check in DEFERRAL_ALTERNATIVES)


def require_deferral_backed(decision: Decision) -> None:
    if decision.status == S.DEFERRED and not deferral_is_backed(decision):
        raise ValidationError(
            {
                "status": "A deferred decision needs an armed trigger or a revisit-by date: "
                "a deferral without a trigger is procrastination."
            }
        )


def require_status_checks(*, decision: Decision, status: str, actor: User) -> None:
    """Every registered status check (adr.status_checks, e.g. a log's review policy) on
    ``decision`` becoming ``status``, refused with their messages: for a status change,
    and for a decision created in a status other than proposed."""
    refused = status_checks.refusals(decision=decision, status=status, actor=actor)
    if refused:
        raise ValidationError({"status": refused})


@transaction.atomic
def decision_change_status(
    *,
    actor: User,
    decision: Decision,
    status: str,
    reason: str = "",
    revisit_by: date | None = None,
    enforce_lifecycle: bool = True,
    expected_version: int | None = None,
) -> Decision:
    """The only way a decision's status changes. Raises ValidationError with a clear message."""
    require_decision_writer(actor, decision)
    decision = concurrency.lock(decision)
    concurrency.check_version(decision, expected_version)
    if status not in S.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == decision.status:
        return decision
    if enforce_lifecycle and status not in TRANSITIONS[decision.status]:
        allowed = ", ".join(sorted(TRANSITIONS[decision.status])) or "none"
        raise ValidationError(
            {
                "status": f"A {decision.get_status_display().lower()} decision cannot become "
                f"{S(status).label.lower()} (allowed: {allowed})."
            }
        )
    if enforce_lifecycle:
        require_status_checks(decision=decision, status=status, actor=actor)
    changed = ["status", "updated_at"]
    if revisit_by is not None:
        changed += concurrency.assign(decision, revisit_by=revisit_by)
    decision.status = status
    require_deferral_backed(decision)
    if status in (S.ACCEPTED, S.REJECTED) and decision.decided_on is None:
        decision.decided_on = ledger_today()
        changed.append("decided_on")
    decision.updated_at = timezone.now()
    decision.full_clean()
    concurrency.save_changed(
        decision,
        fields=changed,
        actor=actor,
        reason=reason or f"status → {decision.get_status_display().lower()}",
    )
    return decision


@transaction.atomic
def decision_flag_review(*, decision: Decision, reason: str, actor: User | None = None) -> Decision:
    """Mark a decision 'needs review' (used when a trigger it rests on fires)."""
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    if decision.needs_review and decision.needs_review_reason == reason[:300]:
        return decision
    decision.needs_review = True
    decision.needs_review_reason = reason[:300]
    tracked_save(
        decision,
        actor=actor,
        reason="flagged for review",
        update_fields=["needs_review", "needs_review_reason"],
    )
    return decision


@transaction.atomic
def decision_clear_review(*, actor: User, decision: Decision, reason: str = "reviewed") -> Decision:
    require_decision_writer(actor, decision)
    decision = concurrency.lock(decision)
    decision.needs_review = False
    decision.needs_review_reason = ""
    tracked_save(
        decision, actor=actor, reason=reason, update_fields=["needs_review", "needs_review_reason"]
    )
    return decision

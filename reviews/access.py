"""Who reviews a decision (the rule on its log: adr.access).

- **Request review** and **set a log's review policy**: whoever writes the log
  (`adr.access.can_write_log`: staff, its team's architects, organisation-wide architects
  where it is not private).
- **Review**: anyone asked who can still read the decision's log, and whoever writes the
  log; never the decision's author. An organisation-wide architect does not review a
  decision of another team's private log; a reviewer who left that team no longer does.
- **Be asked**: an active person who can read the decision's log (services refuse the
  others by name).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from adr.access import can_read_log, can_write_log
from adr.models import Decision

REVIEW_DENIED = (
    "Only people asked to review who can read this decision's log, and the architects "
    "who write in it, review it."
)


def may_review(user, decision: Decision, *, asked: bool) -> bool:
    """May ``user`` review ``decision`` (``asked``: a review was requested from them)?"""
    if not getattr(user, "is_active", False) or decision.created_by_id == user.pk:
        return False
    log = decision.log
    return can_write_log(user, log) or (asked and can_read_log(user, log))


def require_reviewer(user, decision: Decision, *, asked: bool) -> None:
    if decision.created_by_id == user.pk:
        raise PermissionDenied("You wrote this decision; someone else must review it.")
    if not may_review(user, decision, asked=asked):
        raise PermissionDenied(REVIEW_DENIED)

"""Who writes and who reads a decision log: the one place for the rule.

- **Write** (`can_write_log`): staff everywhere; architects of the log's team in that
  log; organisation-wide architects (the ``architect`` group) in every log that is not
  team-private. An organisation-wide log (no team) is written by staff and
  organisation-wide architects only.
- **Read** (`readable_log_q`): everybody with a role (organisation-wide or in any team)
  reads every log that is not private; a private log is read by staff and the members
  of its team only. A private log is not written by anyone who may not read it.

Services call `require_log_writer` / `require_decision_writer`; selectors filter with
`readable_log_q` / `readable_logs` / `readable_decisions`. Later apps (risks, triggers)
build their own rules on these (risks.access, triggers.access).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from config.accounts.models import Membership, Team
from config.accounts.roles import ARCHITECT, can_read, has_role, is_staff, team_ids

from .models import Decision, DecisionLog

WRITE_DENIED = "Only staff and the architects of this log's team write in it."


def _sees_everything(user) -> bool:
    return is_staff(user) or (
        bool(getattr(user, "is_superuser", False)) and bool(getattr(user, "is_active", False))
    )


def _log_facts(log: DecisionLog | None) -> tuple[int | None, bool]:
    return (log.team_id, log.private) if log is not None else (None, False)


def _may_write(user, team_id: int | None, private: bool) -> bool:
    if _sees_everything(user) or (has_role(user, ARCHITECT) and not private):
        return True  # no query
    return team_id is not None and team_id in team_ids(user, ARCHITECT)


def can_write_log(user, log: DecisionLog | None) -> bool:
    """May ``user`` write in ``log`` (its decisions, its name)? ``log`` None: may they
    write in some log at all (e.g. show a "New decision" button on a list)?"""
    if log is None:
        return (
            _sees_everything(user) or has_role(user, ARCHITECT) or bool(team_ids(user, ARCHITECT))
        )
    return _may_write(user, *_log_facts(log))


def _denied(user) -> PermissionDenied:
    """Not an architect anywhere: the role is missing; else: not in this log."""
    if not can_write_log(user, None):
        return PermissionDenied(f"This needs the role: {ARCHITECT}.")
    return PermissionDenied(WRITE_DENIED)


def require_log_writer(user, log: DecisionLog | None) -> None:
    if not can_write_log(user, log):
        raise _denied(user)


def _decision_log_facts(decision: Decision | int) -> tuple[int | None, bool]:
    if isinstance(decision, Decision) and Decision.log.is_cached(decision):
        return _log_facts(decision.log)
    decision_id = decision.pk if isinstance(decision, Decision) else decision
    row = DecisionLog.objects.filter(decisions=decision_id).values_list("team_id", "private")
    return row.first() or (None, False)


def can_write_decision(user, decision: Decision | int) -> bool:
    if _sees_everything(user):
        return True  # no query: staff write everywhere
    if not has_role(user, ARCHITECT) and not team_ids(user, ARCHITECT):
        return False  # no query: not an architect anywhere
    return _may_write(user, *_decision_log_facts(decision))


def require_decision_writer(user, decision: Decision | int) -> None:
    """Raise PermissionDenied unless ``user`` writes in the log of ``decision`` (a
    decision or its id)."""
    if not can_write_decision(user, decision):
        raise _denied(user)


def can_write_decisions(user, decision_ids: Iterable[int]) -> bool:
    """May ``user`` write in the log of every one of these decisions? One query at most."""
    ids = set(decision_ids)
    if _sees_everything(user) or not ids:
        return True
    if not has_role(user, ARCHITECT) and not team_ids(user, ARCHITECT):
        return False
    facts = DecisionLog.objects.filter(decisions__in=ids).values_list("team_id", "private")
    return all(_may_write(user, team, private) for team, private in set(facts))


def sees_every_log(user) -> bool:
    """Staff (and superusers) read and write every log."""
    return _sees_everything(user)


# Matches no row, and still compiles to SQL (``pk__in=[]`` raises EmptyResultSet when a
# queryset is compiled by hand, e.g. config.inbox's one-query counts).
NOTHING = Q(pk__isnull=True)


def readable_log_q(user, *, prefix: str = "") -> Q:
    """A filter for the logs ``user`` reads; ``prefix`` reaches the log from another
    model (``"log__"`` from a decision). One subquery, no extra query."""
    if not can_read(user):
        return NOTHING
    if _sees_everything(user):
        return Q()
    mine = Membership.objects.filter(user=user).values("team_id")
    return Q(**{f"{prefix}private": False}) | Q(**{f"{prefix}team_id__in": mine})


def readable_logs(user) -> QuerySet[DecisionLog]:
    return DecisionLog.objects.filter(readable_log_q(user))


def readable_decisions(user) -> QuerySet[Decision]:
    return Decision.objects.filter(readable_log_q(user, prefix="log__"))


def can_read_log(user, log: DecisionLog) -> bool:
    if not can_read(user):
        return False
    return not log.private or _sees_everything(user) or log.team_id in team_ids(user)


def teams_for_new_log(user) -> QuerySet[Team]:
    """The teams ``user`` may create (or move) a log into."""
    if _sees_everything(user) or has_role(user, ARCHITECT):
        return Team.objects.all()
    return Team.objects.filter(pk__in=team_ids(user, ARCHITECT))


def writable_logs(user) -> QuerySet[DecisionLog]:
    """The logs ``user`` writes in (for a form's choice of log)."""
    if _sees_everything(user):
        return DecisionLog.objects.all()
    mine = Membership.objects.filter(user=user, role=ARCHITECT).values("team_id")
    q = Q(team_id__in=mine)
    if has_role(user, ARCHITECT):
        q |= Q(private=False)
    return DecisionLog.objects.filter(q)

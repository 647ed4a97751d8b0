"""Risk acceptances follow the logs of their decisions (the rule on a log: adr.access).

- **Write** (`can_write_acceptance`): staff; else write access to the log of every
  linked decision; an acceptance with no decision belongs to its owner's teams: the
  architects of any team the owner is in, and organisation-wide architects. (The
  accountable owner keeps editing their own acceptance: risks.permissions.can_edit.)
- **Read** (`readable_acceptance_q`): an acceptance linked to decisions is read by whom
  reads the log of at least one of them; one with no decision, by every reader; and,
  whatever its logs, by the people it names: its accountable owner and its required
  signatories (they are accountable for it or asked to sign it, so they read what they
  sign even outside the team of a private log). The detail page, the lists, the sign
  page and the emails (config.readers) all follow this one filter.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q

from adr.access import (
    NOTHING,
    can_write_decisions,
    readable_decisions,
    readable_log_q,
    sees_every_log,
)
from config.accounts.models import Membership
from config.accounts.roles import ARCHITECT, can_read, has_role, team_ids

from .models import RequiredSignatory, RiskAcceptance

WRITE_DENIED = (
    "Only staff and the architects of the logs of this acceptance's decisions "
    "(or of its owner's teams) can change it."
)


def _decision_ids(acceptance: RiskAcceptance) -> set[int]:
    cache = getattr(acceptance, "_prefetched_objects_cache", {})
    if "decisions" in cache:
        return {d.pk for d in cache["decisions"]}
    if acceptance.pk is None:
        return set()
    return set(acceptance.decisions.values_list("pk", flat=True))


def _architect_of_owners_team(user, owner_id: int | None) -> bool:
    if has_role(user, ARCHITECT):
        return True
    mine = team_ids(user, ARCHITECT)
    if not mine or owner_id is None:
        return False
    return Membership.objects.filter(user_id=owner_id, team_id__in=mine).exists()


def can_write_acceptance(
    user, acceptance: RiskAcceptance, *, decision_ids: Iterable[int] | None = None
) -> bool:
    """The architects' side of who changes ``acceptance``; ``decision_ids``: as if it
    were linked to these decisions (a draft, or an edit of the links)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    if sees_every_log(user):
        return True
    ids = set(decision_ids) if decision_ids is not None else _decision_ids(acceptance)
    if not ids:
        return _architect_of_owners_team(user, acceptance.owner_id)
    return can_write_decisions(user, ids)


def require_acceptance_writer(
    user, acceptance: RiskAcceptance, *, decision_ids: Iterable[int] | None = None
) -> None:
    if not can_write_acceptance(user, acceptance, decision_ids=decision_ids):
        if not (has_role(user, ARCHITECT) or team_ids(user, ARCHITECT)):
            raise PermissionDenied(f"This needs the role: {ARCHITECT}.")
        raise PermissionDenied(WRITE_DENIED)


def may_draft(user) -> bool:
    """May ``user`` draft an acceptance at all (the list page's "New" button)?"""
    return sees_every_log(user) or has_role(user, ARCHITECT) or bool(team_ids(user, ARCHITECT))


def readable_acceptance_q(user, *, prefix: str = "") -> Q:
    """Acceptances ``user`` reads (``prefix`` reaches the acceptance from another model,
    e.g. ``"risk_acceptance__"`` from a trigger). Subqueries only, no extra query.

    Read by: whom reads the log of one of its decisions; every reader when it has no
    decision; its owner and its named signatories whatever its logs (a person without
    any role reads nothing here: the sign page lets such a signatory read what they
    sign, risks.selectors.acceptance_get)."""
    if not can_read(user):
        return NOTHING
    if sees_every_log(user):
        return Q()
    here = OuterRef(f"{prefix}pk" if prefix else "pk")
    links = RiskAcceptance.decisions.through.objects.filter(riskacceptance=here)
    readable = links.filter(readable_log_q(user, prefix="decision__log__"))
    signs = RequiredSignatory.objects.filter(acceptance=here, user=user)
    named = Q(**{f"{prefix}owner": user}) | Q(Exists(signs))
    return ~Q(Exists(links)) | Q(Exists(readable)) | named


def decision_ids_of(decisions: Iterable | None) -> set[int]:
    """Decisions (or their ids) as a set of ids."""
    return {d.pk if hasattr(d, "pk") else int(d) for d in decisions or ()}


def require_links_allowed(actor, acceptance: RiskAcceptance, decisions: Iterable | None) -> None:
    """Linking ``acceptance`` to ``decisions`` (None: the links stay) must leave it
    writable by ``actor``; the accountable owner (not an architect there) may link the
    decisions they read."""
    if decisions is None:
        return
    ids = decision_ids_of(decisions)
    if can_write_acceptance(actor, acceptance, decision_ids=ids):
        return
    owner_reads_them = acceptance.owner_id == actor.pk and (
        readable_decisions(actor).filter(pk__in=ids).count() == len(ids)
    )
    if owner_reads_them:
        return
    raise PermissionDenied(WRITE_DENIED)

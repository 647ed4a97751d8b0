"""Who may do what to an acceptance.

- editors: the accountable owner or an architect (`can_edit`) submit, edit, revoke and
  mark remediated;
- signatories: a named signatory who did not submit the document (segregation of
  duties, risks.duties) signs, after re-entering the password (`signing_locked_until`);
- `allowed_actions`: which of the workflow's actions (risks.workflow) a user may take
  on an acceptance now — what the pages offer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .access import can_write_acceptance
from .models import RequiredSignatory, RiskAcceptance, SigningAttempt
from .workflow import Action, Who, actions_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from config.accounts.models import User

SIGNING_FAILURE_LIMIT = 5
SIGNING_LOCKOUT = timedelta(minutes=15)


def _active(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_edit(user: User | AnonymousUser, acceptance: RiskAcceptance) -> bool:
    if not _active(user):
        return False
    # Architects: by the logs of its decisions (risks.access).
    return acceptance.owner_id == user.pk or can_write_acceptance(user, acceptance)


def require_editor(actor: User, acceptance: RiskAcceptance) -> None:
    if not can_edit(actor, acceptance):
        raise PermissionDenied("Only the accountable owner or an architect can change this.")


def signatory_line_for(
    acceptance: RiskAcceptance, user: User | AnonymousUser
) -> RequiredSignatory | None:
    if not user.is_authenticated:
        return None
    return RequiredSignatory.objects.filter(acceptance=acceptance, user=user).first()


def require_can_sign(actor: User, acceptance: RiskAcceptance) -> RequiredSignatory:
    """Raise PermissionDenied unless `actor` is a named signatory who may sign now."""
    if not _active(actor):
        raise PermissionDenied("Sign in to sign.")
    line = signatory_line_for(acceptance, actor)
    if line is None:
        raise PermissionDenied("Only a named signatory can sign this acceptance.")
    if acceptance.submitted_by_id == actor.pk:
        raise PermissionDenied(
            "You submitted this acceptance, so you cannot also sign it (segregation of duties)."
        )
    return line


def signing_locked_until(user: User) -> datetime | None:
    """When signing unlocks for `user` after too many wrong passwords (None: not locked)."""
    since = timezone.now() - SIGNING_LOCKOUT
    failures = list(
        SigningAttempt.objects.filter(user=user, succeeded=False, at__gte=since)
        .order_by("-at")
        .values_list("at", flat=True)[:SIGNING_FAILURE_LIMIT]
    )
    if len(failures) < SIGNING_FAILURE_LIMIT:
        return None
    return failures[-1] + SIGNING_LOCKOUT


def may_sign(user: User | AnonymousUser, acceptance: RiskAcceptance) -> bool:
    """A named signatory, not the submitter, with no valid signature yet (read from the
    prefetched `signatories` and `signatures`, see risks.selectors.acceptances_with_parts)."""
    if not _active(user) or acceptance.submitted_by_id == user.pk:
        return False
    if not any(line.user_id == user.pk for line in acceptance.signatories.all()):
        return False
    return not any(s.user_id == user.pk and not s.void for s in acceptance.signatures.all())


def roles_of(user: User | AnonymousUser, acceptance: RiskAcceptance) -> set[Who]:
    roles: set[Who] = set()
    if can_edit(user, acceptance):
        roles.add(Who.EDITOR)
    if may_sign(user, acceptance):
        roles.add(Who.SIGNATORY)
    return roles


def allowed_actions(*, user: User | AnonymousUser, acceptance: RiskAcceptance) -> frozenset[Action]:
    """The actions `user` may take on `acceptance` now (the pages offer only these)."""
    return frozenset(actions_for(acceptance.state, roles_of(user, acceptance)))

"""Writes for teams and their memberships (staff only). Who may do what in a team's
logs is adr.access; this module only keeps the rows (with history)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from config.history import tracked_delete, tracked_save

from .models import Membership, Team, User
from .roles import is_staff


def _require_staff(actor: User | None) -> None:
    # actor None: a management command or the demo loader, which act as the system.
    if actor is not None and not is_staff(actor):
        raise PermissionDenied("Only staff manage teams.")


@transaction.atomic
def team_create(*, actor: User | None, name: str, slug: str = "", description: str = "") -> Team:
    _require_staff(actor)
    team = Team(name=name.strip(), slug=slug or slugify(name)[:50], description=description)
    team.full_clean()
    tracked_save(team, actor=actor, reason="team created")
    return team


@transaction.atomic
def membership_set(
    *, actor: User | None, team: Team, user: User, role: str, reason: str = ""
) -> Membership:
    """Put ``user`` in ``team`` with ``role`` (or change their role there). ``reason``
    (history) defaults to "<role> in <team>"."""
    _require_staff(actor)
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        membership = Membership(team=team, user=user, role=role)
        membership.full_clean()
    elif membership.role == role:
        return membership
    membership.role = role
    tracked_save(membership, actor=actor, reason=reason or f"{role} in {team.name}")
    return membership


@transaction.atomic
def membership_remove(*, actor: User | None, team: Team, user: User, reason: str = "") -> None:
    _require_staff(actor)
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is not None:
        tracked_delete(membership, actor=actor, reason=reason or f"left {team.name}")

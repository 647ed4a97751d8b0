"""Roles. Organisation-wide roles are Django groups (`user_roles`, `has_role`); a role can
also be held in a team (`team_roles`, config.accounts.models.Membership), which counts
for that team's logs only (the rule on a log lives in adr.access). Services call
`require_role`; templates read `roles` from context."""

from django.core.exceptions import PermissionDenied

ARCHITECT = "architect"
STAKEHOLDER = "stakeholder"
AUDITOR = "auditor"
ALL_ROLES = (ARCHITECT, STAKEHOLDER, AUDITOR)


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ledger_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._ledger_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(user_roles(user) & set(roles))


def team_roles(user) -> dict[int, str]:
    """{team id: role} of the user's team memberships (one query, cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, "_ledger_team_roles", None)
    if cached is None:
        from .models import Membership

        cached = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user._ledger_team_roles = cached
    return cached


def team_ids(user, *roles: str) -> frozenset[int]:
    """The teams in which ``user`` holds one of ``roles`` (any role if none given)."""
    return frozenset(t for t, r in team_roles(user).items() if not roles or r in roles)


def is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False)) and bool(getattr(user, "is_active", False))


def can_read(user) -> bool:
    """Everybody with a role, organisation-wide or in a team (or staff), reads the ledger
    (private logs aside: adr.access)."""
    return has_role(user, *ALL_ROLES) or is_staff(user) or bool(team_roles(user))


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(f"This needs the role: {' or '.join(roles)}.")


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied("Your account has no role in this ledger yet; ask an administrator.")

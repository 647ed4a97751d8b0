"""Roles are Django groups. Services call `require_role`; templates read `roles` from context."""

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


def can_read(user) -> bool:
    """Everybody with a role (or staff) reads the ledger."""
    return has_role(user, *ALL_ROLES) or bool(getattr(user, "is_staff", False))


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(f"This needs the role: {' or '.join(roles)}.")


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied("Your account has no role in this ledger yet; ask an administrator.")

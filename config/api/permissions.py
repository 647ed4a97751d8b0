"""API permissions mirroring the web UI: a role (or staff) reads; architects write."""

from __future__ import annotations

from rest_framework import permissions

from config.accounts.roles import ARCHITECT, can_read, has_role, is_staff, team_ids


class IsReader(permissions.BasePermission):
    """Everybody with a role reads; an authenticated user without one gets 403."""

    message = "Your account has no role in this ledger yet; ask an administrator."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and can_read(request.user))


class ArchitectWrites(IsReader):
    """Readers read; only architects (or superusers) create and change."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        # Architects anywhere (organisation-wide or in a team) and staff get through
        # here; which log they may write in is the services' rule (adr.access).
        if not (
            has_role(request.user, ARCHITECT)
            or is_staff(request.user)
            or team_ids(request.user, ARCHITECT)
        ):
            self.message = "This needs the role: architect."
            return False
        return True

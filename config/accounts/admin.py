"""Admin for users (roles are groups) and API tokens.

Users and their roles are managed here (add, change, deactivate), but never deleted:
a user is the actor of history rows, signatures, signing attempts and fired-event
acknowledgements, and deleting them would erase or blank those audit rows
(`config.audit` refuses it anywhere else too). Deactivate instead (`is_active`).
API tokens are read-only; staff revoke them with an action that calls the service.

The read-only bases live in `config.admin`; they are re-exported here for modules that
still import them from this one.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from config.admin import (
    ReadOnlyAdmin,
    ReadOnlyHistoryAdmin,
    ReadOnlyPlainAdmin,
    ReadOnlyTabularInline,
)

from . import services
from .models import (
    ApiToken,
    Membership,
    OidcIdentity,
    OidcRefusal,
    PasswordResetRequest,
    Team,
    User,
)

__all__ = ["ApiTokenAdmin", "ReadOnlyAdmin", "ReadOnlyHistoryAdmin", "UserAdmin"]


@admin.register(User)
class UserAdmin(ReadOnlyHistoryAdmin, DjangoUserAdmin):
    list_display = ("username", "printed_name", "email", "roles", "is_staff", "is_active")
    list_filter = ("groups", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Ledger", {"fields": ("display_name",)}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Ledger", {"fields": ("email", "display_name", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: see the module docstring

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "—"


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued on the profile page (shown once); here staff can only revoke."""

    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "hint")
    list_select_related = ("user",)
    fields = ("user", "name", "hint", "digest", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        count = 0
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)
            count += 1
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(ReadOnlyPlainAdmin):
    """The password-reset throttle's records (the address only as a digest): read-only."""

    list_display = ("created_at", "ip_address", "email_digest")
    list_filter = ("created_at",)
    search_fields = ("ip_address", "email_digest")
    date_hierarchy = "created_at"


@admin.register(OidcIdentity)
class OidcIdentityAdmin(ReadOnlyPlainAdmin):
    """Provider accounts linked on first single sign-on (config.accounts.oidc_users)."""

    list_display = ("user", "issuer", "subject", "created_at")
    search_fields = ("user__username", "subject")
    list_select_related = ("user",)


@admin.register(OidcRefusal)
class OidcRefusalAdmin(ReadOnlyPlainAdmin):
    """Refused OpenID Connect callbacks (bad state, nonce, audience, signature, stale
    auth_time): the security record of single sign-on and SSO signing."""

    list_display = ("at", "purpose", "reason", "user", "ip_address", "detail")
    list_filter = ("purpose", "reason")
    list_select_related = ("user",)
    date_hierarchy = "at"


class MembershipInline(ReadOnlyTabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    """Teams and their members, to read (with history). They are kept through
    config.accounts.teams (the ``teams`` management command, the demo loader)."""

    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("team", "user", "role", "created_at")
    list_filter = ("team", "role")
    search_fields = ("user__username", "team__name")
    list_select_related = ("team", "user")

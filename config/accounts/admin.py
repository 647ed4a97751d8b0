"""Admin for users (roles are groups) and API tokens; the read-only-history base admin.

`ReadOnlyHistoryAdmin` is the base for every tracked model in the admin: it shows the
history (simple-history's pages) but nothing in the admin can revert or edit it. With
`SIMPLE_HISTORY_REVERT_DISABLED = True` simple-history only *hides* the revert button;
its history form view still saves on POST, so we refuse POST there too.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, PasswordResetRequest, User


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def has_change_history_permission(self, request, obj=None) -> bool:
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied("History is read-only.")
        if not str(version_id).isdigit():  # e.g. UserAdmin's relative "../password/" link
            raise Http404("No such history record.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(ReadOnlyHistoryAdmin):
    """For records that only the application writes (outbox, tokens' secrets)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyHistoryAdmin, DjangoUserAdmin):
    list_display = ("username", "printed_name", "email", "roles", "is_staff", "is_active")
    list_filter = ("groups", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Ledger", {"fields": ("display_name",)}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Ledger", {"fields": ("email", "display_name", "groups")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all()) or "—"


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyHistoryAdmin):
    """Tokens are issued on the profile page (shown once); here staff can only revoke."""

    list_display = ("name", "user", "hint", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "hint")
    list_select_related = ("user",)
    fields = ("user", "name", "hint", "digest", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "hint", "digest", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    """The password-reset throttle's records (the address only as a digest): read-only."""

    list_display = ("created_at", "ip_address", "email_digest")
    list_filter = ("created_at",)
    search_fields = ("ip_address", "email_digest")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

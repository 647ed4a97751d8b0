"""The admin's shared bases: the ledger is read-only there.

Every write to a ledger record goes through a service (adr, risks and triggers
`services`, the outbox's `config.notifications.services`), which checks roles and
lifecycle rules, takes the row lock, stamps the history row with an actor and a reason,
and keeps audit rows (evaluations, fired events, signatures, signing attempts, webhook
deliveries, the outbox, history) untouched. A ModelAdmin form would bypass all of that
(e.g. adding a decision gave a 500 on the numbering constraint; clearing `revisit_by`
left a deferred decision without its revisit rule). So every ledger model is registered
with `ReadOnlyAdmin`: staff may browse and read histories, never add, change or delete.
A staff action that must exist in the admin is an admin *action* that calls a service
(see `ApiTokenAdmin.revoke`), never a form save.

`ReadOnlyHistoryAdmin` alone (history read-only, rows writable) is for the few models the
admin does manage: users and their roles (groups).

With `SIMPLE_HISTORY_REVERT_DISABLED = True` simple-history only *hides* the revert
button; its history form view still saves on POST, so we refuse POST there too.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages to read; nothing in them can be reverted or edited."""

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


class ReadOnlyPermissions:
    """No add, change or delete (also for superusers): the services own every write."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, ReadOnlyHistoryAdmin):
    """For every ledger model: browse, read the history, nothing else."""


class ReadOnlyPlainAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    """For append-only audit tables without simple-history (their rows never change)."""


class ReadOnlyStackedInline(ReadOnlyPermissions, admin.StackedInline):
    extra = 0


class ReadOnlyTabularInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0

"""Admin for the decision log. Histories are read-only (see ReadOnlyHistoryAdmin).

Status and numbers are read-only here: the lifecycle lives in
`services.decision_change_status` and numbering in `services.decision_create`.
"""

from django.contrib import admin

from config.accounts.admin import ReadOnlyHistoryAdmin

from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    ImportJob,
    LogGitSource,
    MatrixCell,
    Option,
    SensitivityNote,
    Tag,
)


@admin.register(DecisionLog)
class DecisionLogAdmin(ReadOnlyHistoryAdmin):
    list_display = ("key", "name", "last_number", "created_at")
    search_fields = ("key", "name")
    readonly_fields = ("last_number", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # The key is printed in every decision number: fixed once the log exists.
        return (*self.readonly_fields, "key") if obj else self.readonly_fields


@admin.register(Tag)
class TagAdmin(ReadOnlyHistoryAdmin):
    search_fields = ("name",)


class OptionInline(admin.StackedInline):
    model = Option
    extra = 0
    fields = ("position", "title", "chosen", "verdict")
    show_change_link = True


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ("position", "name", "weight")
    show_change_link = True


@admin.register(Decision)
class DecisionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("reference", "title", "status", "needs_review", "revisit_by", "updated_at")
    list_filter = ("status", "needs_review", "log", "tags")
    search_fields = ("title", "context")
    list_select_related = ("log",)
    autocomplete_fields = ("tags",)
    readonly_fields = (
        "number",
        "status",
        "created_by",
        "created_at",
        "updated_at",
        *Decision.markdown_html_field_names(),
    )
    inlines = (OptionInline, CriterionInline)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "log") if obj else self.readonly_fields

    @admin.display(description="Ref", ordering="number")
    def reference(self, obj) -> str:
        return obj.reference


@admin.register(Option)
class OptionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "decision", "position", "chosen")
    list_select_related = ("decision__log",)
    search_fields = ("title",)
    raw_id_fields = ("decision",)
    readonly_fields = tuple(Option.markdown_html_field_names())


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "decision", "position", "weight")
    list_select_related = ("decision__log",)
    search_fields = ("name",)
    raw_id_fields = ("decision",)


@admin.register(MatrixCell)
class MatrixCellAdmin(ReadOnlyHistoryAdmin):
    list_display = ("criterion", "option", "score", "text")
    list_select_related = ("criterion", "option")
    raw_id_fields = ("criterion", "option")


@admin.register(SensitivityNote)
class SensitivityNoteAdmin(ReadOnlyHistoryAdmin):
    list_display = ("condition", "decision", "favours")
    list_select_related = ("decision__log", "favours")
    raw_id_fields = ("decision", "favours")


@admin.register(DecisionRelation)
class DecisionRelationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("source", "kind", "target", "note")
    list_filter = ("kind",)
    list_select_related = ("source__log", "target__log")
    raw_id_fields = ("source", "target")


@admin.register(LogGitSource)
class LogGitSourceAdmin(ReadOnlyHistoryAdmin):
    """Where a log's ADR files live in git (bound and synced by `sync_adrs`)."""

    list_display = ("log", "repo_url", "branch", "folder", "last_sha", "last_synced_at")
    readonly_fields = ("last_sha", "last_synced_at")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Zip imports run by a worker (operational records, not audited content)."""

    list_display = ("log", "name", "preview", "state", "files_done", "files_total", "created_at")
    exclude = ("data",)
    readonly_fields = ("report", "error", "state", "files_done", "files_total")

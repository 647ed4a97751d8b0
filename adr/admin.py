"""Admin for the decision log: read-only (see `config.admin`).

Every write goes through `adr.services` (numbering in `decision_create`, the lifecycle
in `decision_change_status`, the deferral rule on every save), so nothing is added,
changed or deleted here.
"""

from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyStackedInline, ReadOnlyTabularInline

from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
    Tag,
)


@admin.register(DecisionLog)
class DecisionLogAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "last_number", "created_at")
    search_fields = ("key", "name")
    readonly_fields = ("last_number", "created_at")


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    search_fields = ("name",)


class OptionInline(ReadOnlyStackedInline):
    model = Option
    fields = ("position", "title", "chosen", "verdict")
    show_change_link = True


class CriterionInline(ReadOnlyTabularInline):
    model = Criterion
    fields = ("position", "name", "weight")
    show_change_link = True


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "status", "needs_review", "revisit_by", "updated_at")
    list_filter = ("status", "needs_review", "log", "tags")
    search_fields = ("title", "context")
    list_select_related = ("log",)
    readonly_fields = (
        "number",
        "status",
        "created_by",
        "created_at",
        "updated_at",
        *Decision.markdown_html_field_names(),
    )
    inlines = (OptionInline, CriterionInline)

    @admin.display(description="Ref", ordering="number")
    def reference(self, obj) -> str:
        return obj.reference


@admin.register(Option)
class OptionAdmin(ReadOnlyAdmin):
    list_display = ("title", "decision", "position", "chosen")
    list_select_related = ("decision__log",)
    search_fields = ("title",)
    raw_id_fields = ("decision",)
    readonly_fields = tuple(Option.markdown_html_field_names())


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    list_display = ("name", "decision", "position", "weight")
    list_select_related = ("decision__log",)
    search_fields = ("name",)
    raw_id_fields = ("decision",)


@admin.register(MatrixCell)
class MatrixCellAdmin(ReadOnlyAdmin):
    list_display = ("criterion", "option", "score", "text")
    list_select_related = ("criterion", "option")
    raw_id_fields = ("criterion", "option")


@admin.register(SensitivityNote)
class SensitivityNoteAdmin(ReadOnlyAdmin):
    list_display = ("condition", "decision", "favours")
    list_select_related = ("decision__log", "favours")
    raw_id_fields = ("decision", "favours")


@admin.register(DecisionRelation)
class DecisionRelationAdmin(ReadOnlyAdmin):
    list_display = ("source", "kind", "target", "note")
    list_filter = ("kind",)
    list_select_related = ("source__log", "target__log")
    raw_id_fields = ("source", "target")

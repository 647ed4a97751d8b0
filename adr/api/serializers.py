"""What the decision API reads and writes: serializers of logs, decisions and their
parts, and the decision list's filters (which apply the decision list page's selector)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.accounts.models import Team
from config.api.fields import SafeSlugRelatedField

from .. import selectors, services
from ..models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)


class LogSerializer(serializers.ModelSerializer):
    decision_count = serializers.SerializerMethodField()
    # The owning team by slug (null: an organisation-wide log); who writes: adr.access.
    team = SafeSlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = DecisionLog
        fields = [
            "key",
            "name",
            "description",
            "last_number",
            "version",
            "created_at",
            "decision_count",
            "team",
            "private",
        ]
        read_only_fields = ["last_number", "version", "created_at", "decision_count"]

    def get_decision_count(self, obj) -> int:
        count = getattr(obj, "decision_count", None)
        return count if count is not None else obj.decisions.count()


class LogUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = [
            "id",
            "decision",
            "position",
            "title",
            "description",
            "good",
            "neutral",
            "bad",
            "findings",
            "verdict",
            "chosen",
        ]
        read_only_fields = ["id"]
        # option_save un-chooses the others: the one-chosen constraint is its job.
        validators: list = []


class OptionUpdateSerializer(OptionSerializer):
    class Meta(OptionSerializer.Meta):
        read_only_fields = ["id", "decision"]


class CellSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatrixCell
        fields = ["option", "text", "score"]


class CriterionSerializer(serializers.ModelSerializer):
    cells = CellSerializer(many=True, read_only=True)

    class Meta:
        model = Criterion
        fields = ["id", "position", "name", "description", "weight", "cells"]


class CriterionWriteSerializer(serializers.ModelSerializer):
    cells = CellSerializer(many=True, read_only=True)

    class Meta:
        model = Criterion
        fields = ["id", "decision", "position", "name", "description", "weight", "cells"]
        read_only_fields = ["id"]


class CriterionUpdateSerializer(CriterionWriteSerializer):
    class Meta(CriterionWriteSerializer.Meta):
        read_only_fields = ["id", "decision"]


class CellValuesSerializer(serializers.Serializer):
    """What a matrix cell holds: empty text and no score clears it."""

    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    score = serializers.IntegerField(
        min_value=MatrixCell.SCORE_MIN,
        max_value=MatrixCell.SCORE_MAX,
        required=False,
        allow_null=True,
        default=None,
    )


class CellWriteSerializer(CellValuesSerializer):
    """One matrix cell, by criterion and option id."""

    criterion = serializers.PrimaryKeyRelatedField(queryset=Criterion.objects.all())
    option = serializers.PrimaryKeyRelatedField(queryset=Option.objects.all())


class SensitivityNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = SensitivityNote
        fields = ["id", "position", "condition", "consequence", "favours"]


class SensitivityNoteWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = SensitivityNote
        fields = ["id", "decision", "position", "condition", "consequence", "favours"]
        read_only_fields = ["id"]


class SensitivityNoteUpdateSerializer(SensitivityNoteWriteSerializer):
    class Meta(SensitivityNoteWriteSerializer.Meta):
        read_only_fields = ["id", "decision"]


class RelationSerializer(serializers.ModelSerializer):
    source_reference = serializers.CharField(source="source.reference", read_only=True)
    target_reference = serializers.CharField(source="target.reference", read_only=True)

    class Meta:
        model = DecisionRelation
        fields = ["id", "source", "target", "kind", "note", "source_reference", "target_reference"]
        read_only_fields = ["id"]
        # relation_add is idempotent: the unique (source, target, kind) check is its job.
        validators: list = []


class TagListField(serializers.ListField):
    """Tags as a list of names (written as given, stored normalised: 'Web App' → 'web-app')."""

    child = serializers.CharField(max_length=50)

    def to_representation(self, data):
        if hasattr(data, "all"):
            return [t.name for t in data.all()]
        return super().to_representation(data)


class DecisionSerializer(serializers.ModelSerializer):
    log = SafeSlugRelatedField(slug_field="key", queryset=DecisionLog.objects.all())
    reference = serializers.CharField(read_only=True)
    tags = TagListField(required=False, default=list)

    class Meta:
        model = Decision
        fields = [
            "id",
            "reference",
            "log",
            "number",
            "status",
            *services.EDITABLE_FIELDS,
            "tags",
            "needs_review",
            "needs_review_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "needs_review",
            "needs_review_reason",
            "version",
            "created_at",
            "updated_at",
        ]


class OptionRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["title", "description", "good", "neutral", "bad", "findings", "verdict", "chosen"]
        validators: list = []  # one chosen option: the writer's rule


class CellRowSerializer(CellValuesSerializer):
    """A cell of a criterion in a decision's part lists, by the option's number."""

    option = serializers.IntegerField(min_value=1, help_text="The option's number, from 1.")


class CriterionRowSerializer(serializers.ModelSerializer):
    cells = CellRowSerializer(many=True, required=False, default=list)

    class Meta:
        model = Criterion
        fields = ["name", "description", "weight", "cells"]


class NoteRowSerializer(serializers.ModelSerializer):
    favours = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="An option number."
    )

    class Meta:
        model = SensitivityNote
        fields = ["condition", "consequence", "favours"]


PARTS = ["options", "criteria", "sensitivity_notes"]


class DecisionWriteSerializer(DecisionSerializer):
    """Create/edit: the decision with, optionally, whole lists of its parts. A list given
    replaces what the decision has, matched by position (`services.rows_by_position`);
    a list left out keeps those parts as they are. Options are numbered from 1 in
    the order given (cells and notes name them by that number)."""

    options = OptionRowSerializer(many=True, required=False, write_only=True)
    criteria = CriterionRowSerializer(many=True, required=False, write_only=True)
    sensitivity_notes = NoteRowSerializer(many=True, required=False, write_only=True)

    class Meta(DecisionSerializer.Meta):
        fields = DecisionSerializer.Meta.fields + PARTS


def part_lists(data: dict) -> dict:
    """Pop the part lists of validated write data, in `services.rows_by_position` form."""
    criteria = data.pop("criteria", None)
    return {
        "options": data.pop("options", None),
        "criteria": None
        if criteria is None
        else [
            {
                **{k: v for k, v in item.items() if k != "cells"},
                "cells": [(c["option"], c["score"], c["text"]) for c in item.get("cells", [])],
            }
            for item in criteria
        ],
        "notes": data.pop("sensitivity_notes", None),
    }


class DecisionDetailSerializer(DecisionSerializer):
    options = OptionSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    sensitivity_notes = SensitivityNoteSerializer(many=True, read_only=True)
    relations = serializers.SerializerMethodField()

    class Meta(DecisionSerializer.Meta):
        fields = DecisionSerializer.Meta.fields + [
            "options",
            "criteria",
            "sensitivity_notes",
            "relations",
        ]

    @extend_schema_field(RelationSerializer(many=True))
    def get_relations(self, obj):
        rels = list(obj.relations_out.all()) + list(obj.relations_in.all())
        return RelationSerializer(rels, many=True).data


class DecisionUpdateSerializer(DecisionWriteSerializer):
    """PATCH/PUT: `status` changes go through the lifecycle (decision_change_status)."""

    # A declared field ignores Meta.read_only_fields: sending the decision's own log
    # back (GET, edit, PUT) is fine; naming another one is refused.
    log = SafeSlugRelatedField(slug_field="key", queryset=DecisionLog.objects.all(), required=False)
    status_reason = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta(DecisionWriteSerializer.Meta):
        fields = DecisionWriteSerializer.Meta.fields + ["status_reason"]

    def validate_log(self, log):
        if self.instance is not None and log.pk != self.instance.log_id:
            raise serializers.ValidationError("A decision cannot move to another log.")
        return log


class DecisionFilter(django_filters.FilterSet):
    """The decision list page's filters (`selectors.decision_filter`), as query parameters."""

    log = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=Decision.Status.choices)
    tag = django_filters.CharFilter()
    needs_review = django_filters.BooleanFilter()
    q = django_filters.CharFilter(label='Full-text search (websearch syntax: "phrase", -word, or)')

    class Meta:
        model = Decision
        fields = ["log", "status", "tag", "needs_review", "q"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.decision_filter(
            queryset,
            log_key=data.get("log") or None,
            status=data.get("status") or None,
            tag=data.get("tag") or None,
            q=data.get("q") or None,
            needs_review=data.get("needs_review"),
        )

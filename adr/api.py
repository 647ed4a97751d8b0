"""REST API for decision logs, decisions, options and relations (config/api_urls.py calls
`register`). Reads are nested (options, matrix, sensitivity notes, relations); every write
goes through `adr.services`, so the API keeps exactly the web UI's rules and history.

Permissions mirror the web UI: a role (or staff) reads, architects write, a user without
a role gets 403 (config/api/permissions.py). A service's ValidationError or
PermissionDenied becomes the API's 400 or 403 in config.api.errors.api_exception_handler.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.fields import SafeSlugRelatedField
from config.api.params import reject_unknown_params
from config.api.permissions import ArchitectWrites
from config.api.preconditions import IF_MATCH, ETagRetrieveMixin, if_match_version, with_etag

from . import services
from .models import (
    Criterion,
    Decision,
    DecisionLog,
    DecisionRelation,
    MatrixCell,
    Option,
    SensitivityNote,
)
from .search import decision_search

# --- Serializers ---------------------------------------------------------------------


class LogSerializer(serializers.ModelSerializer):
    decision_count = serializers.SerializerMethodField()

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


class CellWriteSerializer(serializers.Serializer):
    """One matrix cell: empty text and no score clears it."""

    criterion = serializers.PrimaryKeyRelatedField(queryset=Criterion.objects.all())
    option = serializers.PrimaryKeyRelatedField(queryset=Option.objects.all())
    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    score = serializers.IntegerField(
        min_value=MatrixCell.SCORE_MIN,
        max_value=MatrixCell.SCORE_MAX,
        required=False,
        allow_null=True,
        default=None,
    )


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


class DecisionUpdateSerializer(DecisionSerializer):
    """PATCH/PUT: `status` changes go through the lifecycle (decision_change_status)."""

    # A declared field ignores Meta.read_only_fields: sending the decision's own log
    # back (GET, edit, PUT) is fine; naming another one is refused.
    log = SafeSlugRelatedField(slug_field="key", queryset=DecisionLog.objects.all(), required=False)
    status_reason = serializers.CharField(required=False, allow_blank=True, write_only=True)

    class Meta(DecisionSerializer.Meta):
        fields = DecisionSerializer.Meta.fields + ["status_reason"]

    def validate_log(self, log):
        if self.instance is not None and log.pk != self.instance.log_id:
            raise serializers.ValidationError("A decision cannot move to another log.")
        return log


# --- Filters -------------------------------------------------------------------------


class DecisionFilter(django_filters.FilterSet):
    log = django_filters.CharFilter(field_name="log__key", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=Decision.Status.choices)
    tag = django_filters.CharFilter(field_name="tags__name")
    needs_review = django_filters.BooleanFilter()
    q = django_filters.CharFilter(
        method="search", label='Full-text search (websearch syntax: "phrase", -word, or)'
    )

    class Meta:
        model = Decision
        fields = ["log", "status", "tag", "needs_review", "q"]

    def search(self, queryset, name, value):
        # The same search as the decision list page and the global search.
        return decision_search(queryset, query=value)


# --- Views ---------------------------------------------------------------------------


def _with_parts(decisions):
    """What DecisionDetailSerializer nests, prefetched (a fixed number of queries)."""
    relations = DecisionRelation.objects.select_related("source__log", "target__log")
    return decisions.prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("position", "id")),
        Prefetch(
            "criteria",
            queryset=Criterion.objects.order_by("position", "id").prefetch_related("cells"),
        ),
        Prefetch("sensitivity_notes", queryset=SensitivityNote.objects.order_by("position")),
        Prefetch("relations_out", queryset=relations),
        Prefetch("relations_in", queryset=relations),
    )


class LogViewSet(
    ETagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Decision logs, by key. Architects create and rename them (`If-Match` honoured)."""

    serializer_class = LogSerializer
    permission_classes = [ArchitectWrites]
    lookup_field = "key"
    lookup_value_regex = "[A-Za-z][A-Za-z0-9]{1,11}"
    filterset_fields: list = []

    def get_queryset(self):
        # One query for the list, not one count per log (LogSerializer.get_decision_count).
        return DecisionLog.objects.annotate(decision_count=Count("decisions")).order_by(
            "name", "key"
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.log_create(
            actor=self.request.user,
            key=data["key"],
            name=data["name"],
            description=data.get("description", ""),
        )

    @extend_schema(request=LogUpdateSerializer, responses=LogSerializer, parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        log = self.get_object()
        data = LogUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        log = services.log_update(
            actor=request.user,
            log=log,
            name=data.validated_data.get("name", log.name),
            description=data.validated_data.get("description", log.description),
            expected_version=if_match_version(request),
        )
        log = self.get_queryset().get(pk=log.pk)
        return with_etag(Response(LogSerializer(log).data), log)


class DecisionViewSet(
    ETagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Decisions. List filters: `log`, `status`, `tag`, `needs_review`, `q`.

    The detail nests options, matrix criteria with cells, sensitivity notes and relations.
    Create and edit go through the decision services (architects only); a `status` in a
    PATCH moves the decision through its lifecycle and is refused if the move is not allowed.
    The detail carries an `ETag`; a PUT/PATCH with a stale `If-Match` gets 412.
    """

    permission_classes = [ArchitectWrites]
    filterset_class = DecisionFilter
    # By id (42) or by reference (AUTH-0001).
    lookup_value_regex = r"[0-9]+|[A-Za-z][A-Za-z0-9]{1,11}-[0-9]{1,7}"

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if "-" in value:
            key, number = value.rsplit("-", 1)
            found = Decision.objects.filter(log__key=key.upper(), number=int(number))
            self.kwargs[self.lookup_url_kwarg or self.lookup_field] = str(
                found.values_list("pk", flat=True).first() or 0
            )
        return super().get_object()

    def list(self, request, *args, **kwargs):
        reject_unknown_params(request, DecisionFilter.base_filters)
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return DecisionDetailSerializer
        if self.action in ("update", "partial_update"):
            return DecisionUpdateSerializer
        return DecisionSerializer

    def get_queryset(self):
        qs = Decision.objects.select_related("log").prefetch_related("tags")
        if self.action == "retrieve":
            qs = _with_parts(qs)
        # As the decision list page: the index decision_recent gives one page in order
        # (ordering by the log's key would sort every decision for each page).
        return qs.order_by("-updated_at", "-id")

    def _detail(self, decision: Decision, **kwargs) -> Response:
        """The saved decision as the detail serializer shows it, parts prefetched."""
        fresh = _with_parts(Decision.objects.select_related("log").prefetch_related("tags"))
        decision = fresh.get(pk=decision.pk)
        return with_etag(Response(DecisionDetailSerializer(decision).data, **kwargs), decision)

    @extend_schema(request=DecisionSerializer, responses={201: DecisionDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        log, title, tags = data.pop("log"), data.pop("title"), data.pop("tags", [])
        status_value = data.pop("status", Decision.Status.PROPOSED)
        decision = services.decision_create(
            actor=request.user,
            log=log,
            title=title,
            status=status_value,
            tags=tags,
            reason="created over the API",
            **data,
        )
        return self._detail(decision, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionUpdateSerializer, responses=DecisionDetailSerializer, parameters=[IF_MATCH]
    )
    @transaction.atomic  # a status change and an edit in one request: both or neither
    def update(self, request, *args, **kwargs):
        expected_version = if_match_version(request)
        decision = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = DecisionUpdateSerializer(decision, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("log", None)  # validated to be the decision's own
        new_status = data.pop("status", None)
        reason = data.pop("status_reason", "") or ""
        tags = data.pop("tags", None)
        if new_status and new_status != decision.status:
            decision = services.decision_change_status(
                actor=request.user,
                decision=decision,
                status=new_status,
                reason=reason or "status changed over the API",
                revisit_by=data.get("revisit_by"),
                expected_version=expected_version,
            )
            expected_version = decision.version  # the status change was this request's
        if data or tags is not None:
            decision = services.decision_update(
                actor=request.user,
                decision=decision,
                tags=tags,
                reason="edited over the API",
                expected_version=expected_version,
                **data,
            )
        elif expected_version is not None:
            # Nothing to write, but the precondition still holds or fails.
            services.decision_update(
                actor=request.user, decision=decision, expected_version=expected_version
            )
        return self._detail(decision)

    @extend_schema(
        request=DecisionUpdateSerializer, responses=DecisionDetailSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class _DecisionPartViewSet(viewsets.ModelViewSet):
    """Shared shape for parts of a decision written through a `*_save`/`*_delete` service."""

    permission_classes = [ArchitectWrites]
    create_serializer = None
    update_serializer = None

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return self.update_serializer
        return self.create_serializer

    def _save(self, **kwargs):
        raise NotImplementedError

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        decision = data.pop("decision")
        serializer.instance = self._save(decision=decision, obj=None, **data)

    def perform_update(self, serializer):
        obj = serializer.instance
        serializer.instance = self._save(
            decision=obj.decision, obj=obj, **dict(serializer.validated_data)
        )


class OptionViewSet(_DecisionPartViewSet):
    """Options of decisions (filter `decision`). Writes go through option_save/option_delete."""

    filterset_fields = ["decision", "chosen"]
    queryset = Option.objects.select_related("decision").order_by("decision", "position", "id")
    create_serializer = OptionSerializer
    update_serializer = OptionUpdateSerializer

    def _save(self, *, decision, obj, **data):
        return services.option_save(actor=self.request.user, decision=decision, option=obj, **data)

    def perform_destroy(self, instance):
        services.option_delete(actor=self.request.user, option=instance)


class RelationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Relations between decisions (filter `source`, `target`, `kind`). Creating a
    `supersedes` relation marks the target superseded (it must be accepted)."""

    serializer_class = RelationSerializer
    permission_classes = [ArchitectWrites]
    filterset_fields = ["source", "target", "kind"]
    queryset = DecisionRelation.objects.select_related("source__log", "target__log").order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.relation_add(
            actor=self.request.user,
            source=data["source"],
            target=data["target"],
            kind=data["kind"],
            note=data.get("note", ""),
        )

    def perform_destroy(self, instance):
        services.relation_remove(actor=self.request.user, relation=instance)


class CriterionViewSet(_DecisionPartViewSet):
    """Rows of decision matrices (filter `decision`); POST `cells/` sets one cell."""

    filterset_fields = ["decision"]
    queryset = Criterion.objects.prefetch_related("cells").order_by("decision", "position", "id")
    create_serializer = CriterionWriteSerializer
    update_serializer = CriterionUpdateSerializer

    def _save(self, *, decision, obj, **data):
        return services.criterion_save(
            actor=self.request.user,
            decision=decision,
            criterion=obj,
            **data,
        )

    def perform_destroy(self, instance):
        services.criterion_delete(actor=self.request.user, criterion=instance)

    @extend_schema(request=CellWriteSerializer, responses=CriterionSerializer)
    @action(detail=False, methods=["post"])
    def cells(self, request):
        data = CellWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.cell_set(
            actor=request.user,
            criterion=values["criterion"],
            option=values["option"],
            text=values.get("text", ""),
            score=values.get("score"),
        )
        criterion = self.get_queryset().get(pk=values["criterion"].pk)
        return Response(CriterionSerializer(criterion).data)


class SensitivityNoteViewSet(_DecisionPartViewSet):
    """'The matrix shifts if…' notes (filter `decision`)."""

    filterset_fields = ["decision"]
    queryset = SensitivityNote.objects.order_by("decision", "position", "id")
    create_serializer = SensitivityNoteWriteSerializer
    update_serializer = SensitivityNoteUpdateSerializer

    def _save(self, *, decision, obj, **data):
        return services.sensitivity_note_save(
            actor=self.request.user,
            decision=decision,
            note=obj,
            **data,
        )

    def perform_destroy(self, instance):
        services.sensitivity_note_delete(actor=self.request.user, note=instance)


def register(router) -> None:
    router.register("logs", LogViewSet, basename="log")
    router.register("decisions", DecisionViewSet, basename="decision")
    router.register("options", OptionViewSet, basename="option")
    router.register("relations", RelationViewSet, basename="relation")
    router.register("criteria", CriterionViewSet, basename="criterion")
    router.register("sensitivity-notes", SensitivityNoteViewSet, basename="sensitivity-note")

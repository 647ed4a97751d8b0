"""The decision API's viewsets: logs, decisions (written through
`services.decision_save_full`, the one writer of a whole decision) and their parts."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from config.api.params import reject_unknown_params
from config.api.permissions import ArchitectWrites
from config.api.preconditions import IF_MATCH, ETagRetrieveMixin, if_match_version, with_etag

from .. import services
from ..access import readable_decisions, readable_log_q, readable_logs
from ..models import Criterion, Decision, DecisionRelation, Option, SensitivityNote
from .serializers import (
    CellWriteSerializer,
    CriterionSerializer,
    CriterionUpdateSerializer,
    CriterionWriteSerializer,
    DecisionDetailSerializer,
    DecisionFilter,
    DecisionSerializer,
    DecisionUpdateSerializer,
    DecisionWriteSerializer,
    LogSerializer,
    LogUpdateSerializer,
    OptionSerializer,
    OptionUpdateSerializer,
    RelationSerializer,
    SensitivityNoteUpdateSerializer,
    SensitivityNoteWriteSerializer,
    part_lists,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from config.accounts.models import User


def _with_parts(decisions, *, user: User | AnonymousUser):
    """What DecisionDetailSerializer nests, prefetched (a fixed number of queries).
    Relations to decisions in logs ``user`` may not read are left out (adr.access)."""
    relations = DecisionRelation.objects.select_related("source__log", "target__log")
    relations_out = relations.filter(readable_log_q(user, prefix="target__log__"))
    relations_in = relations.filter(readable_log_q(user, prefix="source__log__"))
    return decisions.prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("position", "id")),
        Prefetch(
            "criteria",
            queryset=Criterion.objects.order_by("position", "id").prefetch_related("cells"),
        ),
        Prefetch("sensitivity_notes", queryset=SensitivityNote.objects.order_by("position")),
        Prefetch("relations_out", queryset=relations_out),
        Prefetch("relations_in", queryset=relations_in),
    )


def _rows(decision: Decision | None, data: dict) -> dict:
    """The part lists a request gave (popped from `data`) as the writer's rows."""
    lists = part_lists(data)
    if all(value is None for value in lists.values()):
        return {}
    return services.rows_by_position(decision, **lists)


def _writer(request: Request) -> User:
    """Who writes: `ArchitectWrites` lets only signed-in architects change anything."""
    return cast("User", request.user)


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
        logs = readable_logs(self.request.user).select_related("team")
        return logs.annotate(decision_count=Count("decisions")).order_by("name", "key")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.log_create(
            actor=_writer(self.request),
            key=data["key"],
            name=data["name"],
            description=data.get("description", ""),
            team=data.get("team"),
            private=data.get("private", False),
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
        if self.action == "create":
            return DecisionWriteSerializer
        return DecisionSerializer

    def get_queryset(self):
        qs = readable_decisions(self.request.user).select_related("log").prefetch_related("tags")
        if self.action == "retrieve":
            qs = _with_parts(qs, user=self.request.user)
        # As the decision list page: the index decision_recent gives one page in order
        # (ordering by the log's key would sort every decision for each page).
        return qs.order_by("-updated_at", "-id")

    def _detail(self, decision: Decision, **kwargs) -> Response:
        """The saved decision as the detail serializer shows it, parts prefetched."""
        fresh = _with_parts(
            Decision.objects.select_related("log").prefetch_related("tags"),
            user=self.request.user,
        )
        decision = fresh.get(pk=decision.pk)
        return with_etag(Response(DecisionDetailSerializer(decision).data, **kwargs), decision)

    @extend_schema(request=DecisionWriteSerializer, responses={201: DecisionDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = DecisionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        parts = _rows(None, data)
        log, tags = data.pop("log"), data.pop("tags", [])
        status_value = data.pop("status", Decision.Status.PROPOSED)
        decision = services.decision_save_full(
            actor=request.user,
            decision=None,
            log=log,
            fields=data,
            status=status_value,
            tags=tags,
            reason="created over the API",
            **parts,
        )
        return self._detail(decision, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionUpdateSerializer, responses=DecisionDetailSerializer, parameters=[IF_MATCH]
    )
    def update(self, request, *args, **kwargs):
        expected_version = if_match_version(request)
        decision = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = DecisionUpdateSerializer(decision, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("log", None)  # validated to be the decision's own
        parts = _rows(decision, data)
        tags, new_status = data.pop("tags", None), data.pop("status", None)
        status_reason = data.pop("status_reason", "") or "status changed over the API"
        # A status change and an edit in one request: both or neither, one version bump.
        decision = services.decision_save_full(
            actor=request.user,
            decision=decision,
            fields=data,
            tags=tags,
            status=new_status,
            status_reason=status_reason,
            reason="edited over the API",
            expected_version=expected_version,
            **parts,
        )
        return self._detail(decision)

    @extend_schema(
        request=DecisionUpdateSerializer, responses=DecisionDetailSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class _ReadableLogs:
    """Only the rows of decisions in logs the user reads (adr.access); 404 otherwise."""

    log_paths: tuple[str, ...] = ("decision__log__",)

    def get_queryset(self):
        qs = super().get_queryset()  # type: ignore[misc]
        for prefix in self.log_paths:
            qs = qs.filter(readable_log_q(self.request.user, prefix=prefix))  # type: ignore[attr-defined]
        return qs


class _DecisionPartViewSet(_ReadableLogs, viewsets.ModelViewSet):
    """Options, criteria and sensitivity notes: written through `services.part_save` and
    removed through `services.part_delete` (the services the edit page's writer uses)."""

    permission_classes = [ArchitectWrites]
    model: type[Option | Criterion | SensitivityNote]
    create_serializer: type[BaseSerializer] | None = None
    update_serializer: type[BaseSerializer] | None = None

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return self.update_serializer
        return self.create_serializer

    def _save(self, *, decision, obj, **data):
        return services.part_save(
            actor=_writer(self.request), decision=decision, model=self.model, obj=obj, **data
        )

    def perform_destroy(self, instance):
        services.part_delete(actor=_writer(self.request), obj=instance)

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
    """Options of decisions (filter `decision`)."""

    model = Option
    filterset_fields = ["decision", "chosen"]
    queryset = Option.objects.select_related("decision").order_by("decision", "position", "id")
    create_serializer = OptionSerializer
    update_serializer = OptionUpdateSerializer


class RelationViewSet(
    _ReadableLogs,
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
    log_paths = ("source__log__", "target__log__")
    filterset_fields = ["source", "target", "kind"]
    queryset = DecisionRelation.objects.select_related("source__log", "target__log").order_by("id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.relation_add(
            actor=_writer(self.request),
            source=data["source"],
            target=data["target"],
            kind=data["kind"],
            note=data.get("note", ""),
        )

    def perform_destroy(self, instance):
        services.relation_remove(actor=_writer(self.request), relation=instance)


class CriterionViewSet(_DecisionPartViewSet):
    """Rows of decision matrices (filter `decision`); POST `cells/` sets one cell."""

    model = Criterion
    filterset_fields = ["decision"]
    queryset = Criterion.objects.prefetch_related("cells").order_by("decision", "position", "id")
    create_serializer = CriterionWriteSerializer
    update_serializer = CriterionUpdateSerializer

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

    model = SensitivityNote
    filterset_fields = ["decision"]
    queryset = SensitivityNote.objects.order_by("decision", "position", "id")
    create_serializer = SensitivityNoteWriteSerializer
    update_serializer = SensitivityNoteUpdateSerializer

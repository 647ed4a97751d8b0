"""REST API for initiatives, triggers and fired events (config/api_urls.py calls `register`).

Permissions mirror the web UI (see triggers/services.py), with the shared reader
permission and error body (config.api): every reader (a role or
staff) reads the triggers and fired events of the logs they read; architects or
staff change an initiative's status; whoever may
acknowledge a fired trigger in the UI may over the API (``triggers.access``).
Another team's pipeline marks its initiative done with
`PATCH /api/v1/initiatives/<id>/ {"status": "done"}` and `Authorization: Bearer <token>`
of a staff or architect service account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.api.permissions import IsReader
from config.api.preconditions import IF_MATCH, ETagRetrieveMixin, if_match_version, with_etag

from . import selectors, services
from .access import readable_trigger_q
from .models import FiredEvent, Initiative, Trigger

if TYPE_CHECKING:
    from config.accounts.models import User


class InitiativeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Initiative
        fields = [
            "id",
            "name",
            "team",
            "description",
            "status",
            "target_date",
            "done_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "name",
            "team",
            "description",
            "target_date",
            "done_at",
            "version",
        ]


class InitiativeStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Initiative.Status.choices)


class FiredEventSerializer(serializers.ModelSerializer):
    trigger: serializers.PrimaryKeyRelatedField[Trigger] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    acknowledged_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = FiredEvent
        fields = [
            "id",
            "trigger",
            "generation",
            "fired_at",
            "reason",
            "details",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_at",
            "resolution",
        ]


class TriggerSerializer(serializers.ModelSerializer):
    decisions = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Trigger
        fields = [
            "id",
            "uuid",
            "name",
            "description",
            "kind",
            "params",
            "state",
            "state_reason",
            "next_check_at",
            "fired_at",
            "decisions",
            "risk_acceptance",
            "initiative",
            "webhook_url",
            "version",
        ]

    def get_decisions(self, obj) -> list[str]:
        return [d.reference for d in obj.decisions.all()]

    def get_webhook_url(self, obj) -> str | None:
        if obj.kind != Trigger.Kind.WEBHOOK:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(obj.webhook_path) if request else obj.webhook_path


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class InitiativeViewSet(
    ETagRetrieveMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Initiatives other teams own; PATCH `status` (architects or staff) — `done` fires triggers.

    The detail carries an `ETag`; a PATCH with a stale `If-Match` gets 412."""

    serializer_class = InitiativeSerializer
    permission_classes = [IsReader]
    queryset = Initiative.objects.all()
    filterset_fields = ["status"]

    @extend_schema(
        request=InitiativeStatusSerializer, responses=InitiativeSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, *args, **kwargs):
        expected_version = if_match_version(request)
        initiative = self.get_object()
        data = InitiativeStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # A stale If-Match (412), PermissionDenied and ValidationError are answered by the
        # shared handler (config.api.errors).
        initiative = services.initiative_set_status(
            actor=request.user,
            initiative=initiative,
            status=data.validated_data["status"],
            expected_version=expected_version,
        )
        return with_etag(Response(InitiativeSerializer(initiative).data), initiative)


class TriggerViewSet(ETagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """Triggers (read, the detail with an `ETag`); POST `acknowledge` on a fired one
    (staff, the trigger's writers, and the watchers, acceptance owner and signatories,
    escalation contact who read it: ``triggers.access.may_acknowledge``)."""

    serializer_class = TriggerSerializer
    permission_classes = [IsReader]
    filterset_fields = ["kind", "state"]

    def get_queryset(self):
        readable = readable_trigger_q(self.request.user)
        return selectors.trigger_queryset().filter(readable).prefetch_related("decisions__log")

    @extend_schema(request=AcknowledgeSerializer, responses=TriggerSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        trigger = self.get_object()
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trigger = services.trigger_acknowledge(
            actor=request.user, trigger=trigger, note=data.validated_data.get("note", "")
        )
        return Response(TriggerSerializer(trigger, context={"request": request}).data)


class FiredEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Fired events (read); POST `acknowledge` acknowledges the event's trigger."""

    serializer_class = FiredEventSerializer
    permission_classes = [IsReader]
    filterset_fields = ["trigger"]

    def get_queryset(self):
        # The events of the triggers the user reads (a private log's stay private).
        readable = Trigger.objects.filter(readable_trigger_q(self.request.user)).values("pk")
        return FiredEvent.objects.filter(trigger__in=readable).select_related("acknowledged_by")

    @extend_schema(request=AcknowledgeSerializer, responses=FiredEventSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        event = self.get_object()
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if event.generation != event.trigger.generation:
            raise ValidationError("This event belongs to an earlier arming of its trigger.")
        services.trigger_acknowledge(
            actor=request.user, trigger=event.trigger, note=data.validated_data.get("note", "")
        )
        event.refresh_from_db()
        return Response(FiredEventSerializer(event).data)


def register(router) -> None:
    router.register("initiatives", InitiativeViewSet, basename="initiative")
    router.register("triggers", TriggerViewSet, basename="trigger")
    router.register("fired-events", FiredEventViewSet, basename="fired-event")

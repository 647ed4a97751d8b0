"""REST API for risk acceptances (config/api_urls.py calls `register`).

Read: every reader, with mitigations, signatories and signatures nested. Create and edit
*drafts* through `risks.services` (architects create; the owner or an architect edits,
as in the web UI). Submitting and signing are never possible over the API: a signature
needs the signer's password re-entered in the web UI; an acceptance that has left draft
answers 409 to an edit.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from adr.models import Decision
from config.api.errors import Conflict
from config.api.fields import SafeSlugRelatedField
from config.api.permissions import IsReader
from config.api.preconditions import IF_MATCH, ETagRetrieveMixin, if_match_version, with_etag

from . import selectors, services
from .access import readable_acceptance_q
from .models import Mitigation, RequiredSignatory, RiskAcceptance, Signature

User = get_user_model()


def _users():
    return User.objects.filter(is_active=True)


class MitigationSerializer(serializers.ModelSerializer):
    owner = SafeSlugRelatedField(
        slug_field="username", queryset=_users(), required=False, allow_null=True
    )

    class Meta:
        model = Mitigation
        fields = ["id", "position", "description", "status", "owner", "due_on"]
        read_only_fields = ["position"]
        extra_kwargs = {"id": {"read_only": False, "required": False}}


class SignatorySerializer(serializers.ModelSerializer):
    user = SafeSlugRelatedField(slug_field="username", queryset=_users())

    class Meta:
        model = RequiredSignatory
        fields = ["id", "position", "user", "meaning"]
        read_only_fields = ["id", "position"]


class SignatureSerializer(serializers.ModelSerializer):
    user = SafeSlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "user",
            "printed_name",
            "meaning",
            "verdict",
            "reason",
            "signed_at",
            "auth_method",
            "content_digest",
            "previous_hash",
            "signature_hash",
            "void",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class AcceptanceSerializer(serializers.ModelSerializer):
    owner = SafeSlugRelatedField(slug_field="username", queryset=_users())
    decisions = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Decision.objects.all(), required=False
    )
    decision_references = serializers.SerializerMethodField()
    mitigations = MitigationSerializer(many=True, required=False)
    signatories = SignatorySerializer(many=True, required=False)
    signatures = SignatureSerializer(many=True, read_only=True)
    rating = serializers.IntegerField(read_only=True)
    rating_label = serializers.CharField(read_only=True)
    created_by = SafeSlugRelatedField(slug_field="username", read_only=True)
    submitted_by = SafeSlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RiskAcceptance
        fields = [
            "id",
            "title",
            "state",
            "state_reason",
            "state_changed_at",
            "finding_source",
            "finding_reference",
            "risk_statement",
            "likelihood",
            "impact",
            "rating",
            "rating_label",
            "scope",
            "residual_risk",
            "owner",
            "expires_on",
            "decisions",
            "decision_references",
            "mitigations",
            "signatories",
            "signatures",
            "submitted_by",
            "submitted_at",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "state",
            "state_reason",
            "state_changed_at",
            "submitted_by",
            "submitted_at",
            "created_by",
            "created_at",
            "version",
        ]

    def get_decision_references(self, obj) -> list[str]:
        return [d.reference for d in obj.decisions.all()]


class AcceptanceFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RiskAcceptance.State.choices)
    owner = django_filters.CharFilter(field_name="owner__username")
    decision = django_filters.NumberFilter(field_name="decisions__id")

    class Meta:
        model = RiskAcceptance
        fields = ["state", "owner", "decision"]


def _service_kwargs(validated_data: dict) -> dict:
    """Validated data as the services take it: content fields, and the nested lists only
    when sent (a missing list is left alone)."""
    data = dict(validated_data)
    if "mitigations" in data:
        data["mitigations"] = [
            {k: v for k, v in row.items() if k != "position"} for row in data["mitigations"]
        ]
    if "signatories" in data:
        data["signatories"] = [
            {"user": row["user"], "meaning": row.get("meaning", "")} for row in data["signatories"]
        ]
    return data


class AcceptanceViewSet(
    ETagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Risk acceptances (services' ValidationError/PermissionDenied answer 400/403 through
    the API's exception handler). Filters: `state`, `owner` (username), `decision` (id).

    POST drafts a new acceptance (architects); PATCH/PUT edits a draft (its owner or an
    architect). No submitting or signing here: that needs the web UI and a password.
    The detail carries an `ETag`; a PUT/PATCH with a stale `If-Match` gets 412.
    """

    serializer_class = AcceptanceSerializer
    permission_classes = [IsReader]
    filterset_class = AcceptanceFilter

    def get_queryset(self):
        readable = readable_acceptance_q(self.request.user)
        return selectors.acceptances_with_parts().filter(readable).order_by("-created_at", "-pk")

    def _fresh(self, pk: int, **kwargs) -> Response:
        acceptance = self.get_queryset().get(pk=pk)
        return with_etag(Response(AcceptanceSerializer(acceptance).data, **kwargs), acceptance)

    def create(self, request, *args, **kwargs):
        serializer = AcceptanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance = services.acceptance_create(
            actor=request.user,
            reason="drafted over the API",
            **_service_kwargs(serializer.validated_data),
        )
        return self._fresh(acceptance.pk, status=status.HTTP_201_CREATED)

    @extend_schema(responses=AcceptanceSerializer, parameters=[IF_MATCH])
    def update(self, request, *args, **kwargs):
        expected_version = if_match_version(request)
        acceptance = self.get_object()
        if acceptance.state != RiskAcceptance.State.DRAFT:
            raise Conflict(
                f"This acceptance is {acceptance.get_state_display().lower()}: only drafts can "
                "be edited over the API. Edit it in the web UI, where signatories are told."
            )
        partial = kwargs.get("partial", False)
        serializer = AcceptanceSerializer(acceptance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.acceptance_update(
            actor=request.user,
            acceptance=acceptance,
            reason="edited over the API",
            expected_version=expected_version,
            **_service_kwargs(serializer.validated_data),
        )
        return self._fresh(acceptance.pk)


def register(router) -> None:
    router.register("risk-acceptances", AcceptanceViewSet, basename="risk-acceptance")

"""Project-level API views: the JSON export for backup and audit."""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from .ledger_json import dumps, ledger_export
from .permissions import IsReader

LOG_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{1,11}")


class LedgerExportView(APIView):
    """GET the ledger as JSON (logs, decisions, acceptances and all their history)."""

    permission_classes = [IsReader]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "log",
                OpenApiTypes.STR,
                many=True,
                description="Only these log keys (repeatable); acceptances linked to them.",
            )
        ],
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request):
        keys = [k.strip() for k in request.query_params.getlist("log") if k.strip()]
        bad = [k for k in keys if not LOG_KEY.fullmatch(k)]
        if bad:
            raise ValidationError({"log": [f"{bad[0]!r} is not a log key (e.g. AUTH)."]})
        data = ledger_export(user=request.user, log_keys=keys or None)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(dumps(data), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="ledger-{stamp}.json"'
        return response

"""One error body for every API failure (400, 401, 403, 404, 405, 409, 415, 429…):

    {"status": 403, "code": "permission_denied", "detail": "…", "errors": {…}}

`errors` holds field messages for validation errors (400) and is empty otherwise.
Django's ValidationError / PermissionDenied raised by services are translated here,
so views may simply call services.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler

from config.api.preconditions import PreconditionFailed
from config.concurrency import ConflictError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource is not in a state that allows this change."
    default_code = "conflict"


def from_django(exc: Exception) -> exceptions.APIException:
    """A service's Django exception as the DRF exception the API answers with."""
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exceptions.APIException(str(exc))


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _flatten(value)
            return text if key in ("non_field_errors", "detail") else f"{key}: {text}"
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def body(status_code: int, code: str, detail: str, errors=None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}}


def api_exception_handler(exc, context):
    current_version = None
    if isinstance(exc, ConflictError):
        # A stale If-Match (config.concurrency): 412, with the ETag to read again.
        current_version = exc.current
        exc = PreconditionFailed(
            f"The resource changed since you read it (If-Match named version {exc.expected}; "
            f"it is now at version {exc.current}): read it again (GET) and retry."
        )
    elif isinstance(exc, DjangoValidationError | DjangoPermissionDenied):
        exc = from_django(exc)
    elif isinstance(exc, IntegrityError):
        exc = Conflict("This conflicts with existing data (it probably exists already).")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if current_version is not None:
        response["ETag"] = f'"{current_version}"'
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        message = _flatten(errors) or "Invalid input."
        response.data = body(response.status_code, "invalid", message, errors)
        return response
    if isinstance(exc, Http404):
        code, message = "not_found", "Not found."
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        message = _flatten(detail)
    else:  # pragma: no cover - DRF only returns responses for the above
        code, message = "error", _flatten(detail)
    response.data = body(response.status_code, code, message)
    return response


def not_found(request, *args, **kwargs):
    """Unknown URLs under /api/ answer JSON in the same format, not the HTML 404 page."""
    return JsonResponse(body(404, "not_found", "No such API endpoint."), status=404)


class ErrorSerializer(serializers.Serializer):
    """The error body, for the OpenAPI schema."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField()  # type: ignore[assignment]  # the body's field, not Serializer.errors

"""`ETag` / `If-Match` for versioned resources (see config.concurrency and docs/api.md).

The detail of a versioned resource carries `ETag: "<version>"`. A PUT or PATCH that
sends `If-Match: "<version>"` is applied only if the resource is still at that
version, otherwise it is refused with 412 Precondition Failed (and the current ETag).
A write without If-Match (or with `If-Match: *`) applies to the current version: a
PATCH changes only the fields it sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView as _ViewBase
else:
    _ViewBase = object

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag the detail GET returned, e.g. "3": the write applies only if the '
    "resource is still at that version, otherwise 412. Without it the write applies to the "
    "current version.",
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it: read it again (GET) and retry."
    default_code = "precondition_failed"


def etag(obj) -> str:
    return f'"{obj.version}"'


def with_etag(response: Response, obj) -> Response:
    response["ETag"] = etag(obj)
    return response


def if_match_version(request) -> int | None:
    """The version named by the request's If-Match; None when it has none (or `*`)."""
    raw = (request.headers.get("If-Match") or "").strip()
    if raw in ("", "*"):
        return None
    tag = raw
    if tag.startswith("W/"):  # tolerated: our ETags are versions, weak or not
        tag = tag[2:]
    if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
        return int(tag[1:-1])
    raise PreconditionFailed(
        'If-Match must be one ETag of this resource as its GET returned it, e.g. "3".'
    )


class ETagRetrieveMixin(_ViewBase):
    """A detail GET answers with the resource's ETag."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return with_etag(Response(self.get_serializer(instance).data), instance)

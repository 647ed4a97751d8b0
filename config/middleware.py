"""Cross-cutting request guards."""

from __future__ import annotations

from django.http import JsonResponse

from config.views import bad_request


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is a 400, never a 500.

    PostgreSQL cannot hold NUL in text, so a filter such as `?owner=%00` would raise
    DataError deep inside a view. Forms (Django's and DRF's CharField) already refuse
    NUL in submitted fields; this closes the gap for URLs, for every view at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key)) for key in query
        ):
            if request.path_info.startswith("/api/"):
                from config.api.errors import body

                message = "NUL bytes are not allowed in the URL."
                return JsonResponse(body(400, "invalid", message), status=400)
            return bad_request(request)
        return self.get_response(request)

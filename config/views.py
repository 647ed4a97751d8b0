"""Project-level views: error pages that keep the layout (and the CSP header), health."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


def _error(request, status: int, title: str, message: str):
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


@requires_csrf_token
def bad_request(request, exception=None):
    return _error(request, 400, "Bad request", "The request could not be understood.")


@requires_csrf_token
def permission_denied(request, exception=None):
    message = (
        str(exception) if exception and str(exception) else "You do not have access to this page."
    )
    return _error(request, 403, "Not allowed", message)


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, 404, "Not found", "There is nothing at this address.")


@requires_csrf_token
def server_error(request):
    return _error(
        request,
        500,
        "Something went wrong",
        "The error has been logged. Nothing you entered was saved half-way.",
    )


def healthz(request) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

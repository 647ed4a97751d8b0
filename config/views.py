"""Project-level views: error pages that keep the layout (and the CSP header), health."""

import logging

from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

# Served when even the error page cannot be rendered (e.g. the database is down and the
# layout needs the user's roles). No template, no database, no inline script or style.
FALLBACK_500 = (
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    "<title>Something went wrong · Decision Ledger</title></head>"
    "<body><h1>500 — Something went wrong</h1>"
    "<p>The error has been logged. Please try again in a moment.</p>"
    '<p><a href="/">Back to the ledger</a></p></body></html>'
)


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
    try:
        return _error(
            request,
            500,
            "Something went wrong",
            "The error has been logged. Nothing you entered was saved half-way.",
        )
    except Exception:  # the failure may be the very thing the layout needs
        logger.exception("The 500 page could not be rendered; serving the plain one.")
        return HttpResponseServerError(FALLBACK_500)


def healthz(request) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def search(request):
    """One results page across every kind the apps register (config.search)."""
    from config import search as ledger_search
    from config.accounts.roles import require_reader

    require_reader(request.user)
    query = ledger_search.clean_query(request.GET.get("q"))
    results = ledger_search.search_all(user=request.user, query=query)
    return render(
        request,
        "search.html",
        {
            "query": query,
            "search_query": query,
            "results": results,
            "total": sum(min(r.count, ledger_search.CANDIDATES) for r in results),
            "more": any(ledger_search.is_capped(r.count) for r in results),
            "nav": "search",
        },
    )

"""The bare baselines: as little Django as a page can be, behind the same middleware
(session, authentication, CSP, login-required…) as the product's pages.

- `constant`: no query, no template.
- `detail`: two queries (a decision with its log, then its options), one small template.
- `rows`: one query for 50 decisions (with their log), one small template.

The session and user lookups of the authentication middleware come on top of each, as
they do for every product page.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template import engines

from adr.models import Decision, Option

_DETAIL = engines["django"].from_string(
    "<!doctype html><title>{{ d.title }}</title><h1>{{ d.log.key }}-{{ d.number }} "
    "{{ d.title }}</h1><p>{{ d.status }}</p><ul>{% for o in options %}<li>{{ o.title }}"
    "</li>{% endfor %}</ul>"
)
_ROWS = engines["django"].from_string(
    "<!doctype html><title>rows</title><table>{% for d in rows %}<tr><td>{{ d.log.key }}-"
    "{{ d.number }}</td><td>{{ d.title }}</td><td>{{ d.status }}</td></tr>{% endfor %}"
    "</table>"
)


def constant(request):
    return HttpResponse("ok", content_type="text/plain")


def detail(request, pk: int):
    decision = (
        Decision.objects.select_related("log")
        .only("id", "number", "title", "status", "log__key")
        .get(pk=pk)
    )
    options = list(Option.objects.filter(decision_id=pk).only("id", "title"))
    return HttpResponse(_DETAIL.render({"d": decision, "options": options}))


def rows(request):
    page = (
        Decision.objects.select_related("log")
        .only("id", "number", "title", "status", "log__key")
        .order_by("-id")[:50]
    )
    return HttpResponse(_ROWS.render({"rows": page}))

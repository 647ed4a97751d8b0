"""What the benchmark requests: the bare baselines and the product's pages, each with
the baseline it is compared with; query counts per page and the search latency."""

from __future__ import annotations

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .http_load import percentile

# The decision with options and a matrix (id 5 is "rich" at every size: 5 % 5 == 0),
# reference LOG6-0001; acceptance 3 is accepted, with its two signatures.
DETAIL_DECISION = 5
DETAIL_REFERENCE = "LOG6-0001"
DETAIL_ACCEPTANCE = 3

BARE = [
    ("bare: constant", "/_bench/constant/"),
    ("bare: 2-query detail", f"/_bench/detail/{DETAIL_DECISION}/"),
    ("bare: 50-row list", "/_bench/rows/"),
]
# (name, path, the bare view it is measured against)
PAGES = [
    ("decision list", "/decisions/", "bare: 50-row list"),
    ("decision search ?q=kafka", "/decisions/?q=kafka", "bare: 50-row list"),
    ("global search ?q=kafka", "/search/?q=kafka", "bare: 50-row list"),
    ("decision detail", f"/decisions/{DETAIL_REFERENCE}/", "bare: 2-query detail"),
    ("acceptance list", "/risks/", "bare: 50-row list"),
    ("acceptance detail", f"/risks/{DETAIL_ACCEPTANCE}/", "bare: 2-query detail"),
    ("triggers page", "/triggers/", "bare: 50-row list"),
    ("API decision list", "/api/v1/decisions/", "bare: 50-row list"),
]
SEARCHES = [
    "kafka",
    '"event sourcing"',
    "kafka -legacy",
    "postgres or graphql",
    "token rotation",
    "idempotent consumer",
    "graphql",
    "LOG3-0042",
]


def targets() -> list[tuple[str, str]]:
    return BARE + [(name, path) for name, path, _ in PAGES]


def query_counts(user) -> dict[str, int]:
    """Queries each page sends (in this process, through Django's test client)."""
    client = Client()
    client.force_login(user)
    counts = {}
    for name, path in targets():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[name] = len(queries.captured_queries)
    return counts


def search_selector_latencies(user, *, repeat: int) -> dict[str, tuple[int, int, list[float]]]:
    """The search itself, in this process: the decision list's query for one page of
    50 plus the paginator's count, as `decision_list(q=…)` builds it.

    {query: (every match, matches listed (capped), seconds of each of `repeat` runs)};
    every match is counted once, untimed, for the report."""
    from django.contrib.postgres.search import SearchQuery

    from adr.models import Decision
    from adr.selectors import decision_list
    from config.search import TS_CONFIG

    found: dict[str, tuple[int, int, list[float]]] = {}
    for query in SEARCHES:
        tsquery = SearchQuery(query, search_type="websearch", config=TS_CONFIG)
        found[query] = (Decision.objects.filter(search_document=tsquery).count(), 0, [])
    for _ in range(repeat):
        for query in SEARCHES:
            started = time.perf_counter()
            qs = decision_list(user=user, q=query)
            list(qs[:50])
            listed = qs.count()
            found[query][2].append(time.perf_counter() - started)
            found[query] = (found[query][0], listed, found[query][2])
    return found


def search_paths() -> dict[str, str]:
    from urllib.parse import quote

    return {q: f"/decisions/?q={quote(q)}" for q in SEARCHES}


def summary(latencies: list[float]) -> str:
    return (
        f"p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms "
        f"({len(latencies)} samples)"
    )

"""The plans PostgreSQL picks for the search and the default decision list, on a table
big enough for the planner to care (3,000 generated decisions, analysed): the search
finds rare words through the GIN index and common ones by walking `decision_recent`,
and the list reads one page of an index, never the whole decisions table.

The planner runs with its usual settings: without the indexes (or with a query that
no index serves) a table of this size is read by a sequential scan and sorted, which
is what these tests refuse.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adr import selectors
from adr.models import Decision
from benchmarks import dataset
from config import search
from config.pagination import CappedPaginator
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db
ROWS = 3_000


@pytest.fixture
def many_decisions(architect):
    require_postgres()
    dataset.ensure_people()
    dataset.build(dataset.Size(ROWS, 5, 0, 0), vacuum=False)
    assert Decision.objects.count() == ROWS
    return architect


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _search_queries(user, query: str) -> list[str]:
    """The SQL a search page's selector sends: the ranking, then its page and count."""
    with CaptureQueriesContext(connection) as captured:
        qs = selectors.decision_list(user=user, q=query)
        list(qs[:50])
        qs.count()
    return [q["sql"] for q in captured.captured_queries if "adr_decision" in q["sql"]]


def test_rare_words_use_the_gin_index_and_common_ones_a_bounded_walk(many_decisions, login):
    ranking, *rest = _search_queries(many_decisions, "kafka")
    plan = _plan(ranking)
    assert "adr_decision_search_gin" in plan, plan
    assert "Seq Scan on adr_decision " not in plan, plan
    for sql in rest:  # the page and its count: by primary key, no document read again
        plan = _plan(sql)
        assert "Seq Scan on adr_decision " not in plan, plan
        assert "search_document" not in plan, plan
    # A word in most decisions: the first CANDIDATES + 1 in the index's order only.
    ranking, *_ = _search_queries(many_decisions, "token")
    plan = _plan(ranking)
    assert "decision_recent" in plan, plan
    assert "Seq Scan on adr_decision " not in plan, plan
    assert f"rows={search.CANDIDATES + 1}" in plan.split("Limit", 1)[1], plan
    # …and the page says so rather than counting every match.
    html = login(many_decisions).get("/decisions/", {"q": "token"}).content.decode()
    assert f"more than {search.CANDIDATES:,} decisions match" in html, html


def test_the_default_list_reads_one_page_of_an_index(many_decisions):
    qs = selectors.decision_list(user=many_decisions)
    sql, params = qs[:50].query.sql_with_params()
    plan = _plan(sql, params)
    assert "decision_recent" in plan, plan
    assert "Seq Scan on adr_decision " not in plan, plan
    assert "Sort" not in plan, plan  # the index gives the order: no sort of the table
    # The page's count stops at its cap, and is read from an index too.
    paginator = CappedPaginator(qs, 50, cap=100)
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == 101
    (count_sql,) = [q["sql"] for q in captured.captured_queries]
    assert "LIMIT 101" in count_sql, count_sql
    assert "Seq Scan on adr_decision " not in _plan(count_sql), _plan(count_sql)
    assert paginator.capped and paginator.count_label == "more than 100"
    assert paginator.num_pages == 2
    assert not CappedPaginator(qs, 50).capped  # 3,000 rows: counted exactly
    assert CappedPaginator(qs, 50).count == ROWS

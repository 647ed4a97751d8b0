"""Pages run a fixed number of queries, whatever the number of rows.

Each test builds a small and a large data set and asserts the SAME bound on both.
"""

import pytest

from adr.services import (
    decision_create,
    decision_update,
    option_save,
    relation_add,
    sensitivity_note_save,
)

from .conftest import build_decision

pytestmark = pytest.mark.django_db

LIST_BOUND = 12
DETAIL_BOUND = 21  # + the review section (policy, requests, reviews) and comments (2)
HISTORY_BOUND = 15  # 14 + the navigation's open-items count
# +1 since issue 11: every page's navigation counts open items and unread notifications
# (one query for both, config/context_processors.py).
EDIT_BOUND = 15


def make_decisions(architect, log, n):
    for i in range(n):
        decision_create(
            actor=architect,
            log=log,
            title=f"Decision {i} about tokens",
            tags=["security", f"t{i % 7}"],
            context="tokens everywhere",
        )


@pytest.mark.parametrize("n", [10, 200])
def test_the_decision_list_has_a_bounded_query_count(
    architect, log, login, django_assert_max_num_queries, n
):
    make_decisions(architect, log, n)
    client = login(architect)
    for url in (
        "/decisions/",
        "/decisions/?q=tokens&log=AUTH&tag=security&status=proposed",
        "/decisions/?page=2",
        "/decisions/logs/AUTH/",
        "/decisions/logs/",
    ):
        with django_assert_max_num_queries(LIST_BOUND):
            assert client.get(url).status_code == 200


def big_decision(architect, log, size):
    d = build_decision(architect, log, options=size, criteria=size, tags=["a", "b"])
    others = [decision_create(actor=architect, log=log, title=f"other {i}") for i in range(size)]
    for other in others:
        relation_add(actor=architect, source=d, target=other, kind="relates_to")
        relation_add(actor=architect, source=other, target=d, kind="amends")
    favourite = d.options.first()
    for i in range(size):
        sensitivity_note_save(
            actor=architect, decision=d, condition=f"if {i}", favours=favourite, position=i
        )
    option_save(actor=architect, decision=d, option=favourite, chosen=True)
    for i in range(size):  # the number of edits grows too
        decision_update(
            actor=architect, decision=d, context=f"version {i}\nmore", tags=["a", f"v{i}"]
        )
    return d


@pytest.mark.parametrize("size", [2, 10])
def test_the_detail_page_has_a_bounded_query_count(
    architect, log, login, django_assert_max_num_queries, size
):
    big_decision(architect, log, size)
    client = login(architect)
    with django_assert_max_num_queries(DETAIL_BOUND):
        response = client.get("/decisions/AUTH-0001/")
    assert response.status_code == 200
    assert response.content.decode().count('class="score-') == size * size


@pytest.mark.parametrize("size", [2, 10])
def test_the_history_page_has_a_bounded_query_count(
    architect, log, login, django_assert_max_num_queries, size
):
    big_decision(architect, log, size)
    client = login(architect)
    with django_assert_max_num_queries(HISTORY_BOUND):
        response = client.get("/decisions/AUTH-0001/history/")
    assert response.status_code == 200
    body = response.content.decode()
    # Built in one go by one person: one change set holding every part's entry.
    assert body.count('class="change-set') == 1
    assert body.count('class="history-entry') > size * size


@pytest.mark.parametrize("size", [2, 10])
def test_the_edit_page_has_a_bounded_query_count(
    architect, log, login, django_assert_max_num_queries, size
):
    big_decision(architect, log, size)
    client = login(architect)
    with django_assert_max_num_queries(EDIT_BOUND):
        assert client.get("/decisions/AUTH-0001/edit/").status_code == 200

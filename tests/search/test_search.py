"""Full-text search: words in options, arguments and mitigations; quotes, -word and
or; ranking; highlighted passages that say where they matched; the plans PostgreSQL
picks; and the one search shared by the list page, the API and the global page.

Most tests run on both backends (PostgreSQL's tsvector, SQLite's icontains fallback)
where their semantics agree; stemming, ranking by weight and plans are PostgreSQL's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adr import services as adr_services
from adr.models import Decision
from adr.search import decision_hits, decision_search
from config import search
from risks import services as risk_services
from tests.conftest import require_postgres
from triggers.services import trigger_create

pytestmark = pytest.mark.django_db


def refs(qs) -> list[str]:
    return [d.reference for d in qs]


@pytest.fixture
def corpus(architect, log):
    """Five decisions whose words sit in different places."""

    def make(title, *, options=(), **fields):
        d = adr_services.decision_create(actor=architect, log=log, title=title, **fields)
        for position, option in enumerate(options):
            adr_services.option_save(actor=architect, decision=d, position=position, **option)
        return d

    return {
        "title": make("Adopt Kafka for the audit stream"),
        "context": make(
            "Pick a message bus",
            context="The billing team already runs Kafka clusters in two regions.",
        ),
        "option": make(
            "Where to keep tokens",
            options=[
                {"title": "Cookies"},
                {"title": "Memory"},
                {"title": "Backend for frontend", "description": "A proxy held by Zanzibar."},
            ],
        ),
        "argument": make(
            "Session storage",
            options=[{"title": "Redis", "bad": "Another stateful quokka to operate"}],
        ),
        "phrase": make("Event log retention", context="We keep the event log for a year."),
    }


def test_it_finds_words_in_options_and_their_arguments(corpus):
    assert refs(decision_search(Decision.objects.all(), query="zanzibar")) == [
        corpus["option"].reference
    ]
    assert refs(decision_search(Decision.objects.all(), query="quokka")) == [
        corpus["argument"].reference
    ]


def test_it_ranks_a_title_match_above_a_body_match(corpus):
    found = refs(decision_search(Decision.objects.all(), query="kafka"))
    assert found == [corpus["title"].reference, corpus["context"].reference]


def test_it_honours_quotes_minus_and_or(corpus):
    everything = Decision.objects.all()
    assert refs(decision_search(everything, query='"event log"')) == [corpus["phrase"].reference]
    # The same words in another order are not the phrase.
    assert refs(decision_search(everything, query='"log event"')) == []
    assert refs(decision_search(everything, query="kafka -audit")) == [corpus["context"].reference]
    assert set(refs(decision_search(everything, query="zanzibar or quokka"))) == {
        corpus["option"].reference,
        corpus["argument"].reference,
    }


def test_a_reference_finds_its_decision(corpus):
    ref = corpus["argument"].reference
    assert refs(decision_search(Decision.objects.all(), query=ref)) == [ref]


def test_it_highlights_the_passage_and_says_where_it_matched(corpus):
    found = list(decision_search(Decision.objects.select_related("log"), query="zanzibar"))
    (hit,) = decision_hits(found, query="zanzibar")
    assert hit.where == "option 3"
    assert "<mark>Zanzibar</mark>" in hit.snippet
    found = list(decision_search(Decision.objects.select_related("log"), query="regions"))
    (hit,) = decision_hits(found, query="regions")
    assert hit.where == "context"
    assert "<mark>regions</mark>" in hit.snippet


def test_passages_are_escaped(architect, log):
    adr_services.decision_create(
        actor=architect,
        log=log,
        title="Escaping",
        context="<script>alert(1)</script> wombat <img src=x onerror=alert(2)>",
    )
    found = list(decision_search(Decision.objects.select_related("log"), query="wombat"))
    (hit,) = decision_hits(found, query="wombat")
    assert "<script>" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;img" in hit.snippet


def test_the_document_follows_edits_of_options_and_tags(corpus, architect):
    decision = corpus["argument"]
    option = decision.options.get()
    adr_services.option_save(actor=architect, decision=decision, option=option, bad="a wallaby")
    everything = Decision.objects.all()
    assert refs(decision_search(everything, query="quokka")) == []
    assert refs(decision_search(everything, query="wallaby")) == [decision.reference]
    adr_services.option_delete(actor=architect, option=option)
    assert refs(decision_search(everything, query="wallaby")) == []


def test_the_list_page_and_the_api_use_the_same_search(corpus, architect, login):
    client = login(architect)
    page = client.get("/decisions/?q=zanzibar")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"<code>{corpus['option'].reference}</code>" in body
    assert f"<code>{corpus['title'].reference}</code>" not in body
    assert "in option 3" in body and "<mark>Zanzibar</mark>" in body
    api = client.get("/api/v1/decisions/?q=zanzibar").json()
    assert [d["reference"] for d in api["results"]] == [corpus["option"].reference]


def test_the_global_search_finds_decisions_acceptances_and_triggers(
    corpus, architect, stakeholder, login
):
    acceptance = risk_services.acceptance_create(
        actor=architect,
        title="Tokens readable by scripts",
        risk_statement="A script could read the token.",
        owner=stakeholder,
        expires_on=timezone.localdate() + timedelta(days=30),
        mitigations=[
            {"description": "Strict CSP"},
            {"description": "Rotate the zanzibar signing key"},
        ],
    )
    trigger = trigger_create(
        actor=architect,
        name="Zanzibar sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=90)).isoformat()},
        decisions=[corpus["option"]],
    )
    client = login(architect)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/?q=zanzibar")
    assert response.status_code == 200
    body = response.content.decode()
    assert corpus["option"].get_absolute_url() in body
    assert acceptance.get_absolute_url() in body
    assert trigger.get_absolute_url() in body
    assert "in mitigation 2" in body and "in name" in body
    first = len(queries)
    # More matches cost no more queries.
    for n in range(5):
        trigger_create(
            actor=architect,
            name=f"Zanzibar check {n}",
            kind="date",
            params={"date": (timezone.localdate() + timedelta(days=90)).isoformat()},
            decisions=[corpus["option"]],
        )
    with CaptureQueriesContext(connection) as queries:
        client.get("/search/?q=zanzibar")
    assert len(queries) == first


def test_search_needs_a_role(outsider, login):
    assert login(outsider).get("/search/?q=anything").status_code == 403


def test_hostile_queries_answer_cleanly(corpus, architect, login):
    client = login(architect)
    for q in ['"', "-", "or", "!!(&|:*", "a\x00b", "'; drop table adr_decision; --", "x" * 5000]:
        # NUL characters are refused (400) before any view; everything else is a search.
        expected = 400 if "\x00" in q else 200
        assert client.get("/search/", {"q": q}).status_code == expected
        assert client.get("/decisions/", {"q": q}).status_code == expected
    assert Decision.objects.count() == 5


def test_the_query_syntax_is_parsed_like_websearch():
    parsed = search.parse_websearch('kafka "event log" -legacy or redis')
    assert parsed == [
        [
            search.Term("kafka"),
            search.Term("event log"),
            search.Term("legacy", negated=True),
        ],
        [search.Term("redis")],
    ]


# --- PostgreSQL only: stemming and plans ---------------------------------------------


def test_words_are_stemmed_on_postgres(corpus):
    require_postgres()
    assert refs(decision_search(Decision.objects.all(), query="years")) == [
        corpus["phrase"].reference
    ]

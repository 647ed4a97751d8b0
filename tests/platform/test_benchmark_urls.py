"""The benchmark's bare views exist only under config.settings.benchmark's URLconf."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve

from adr.models import Option

pytestmark = pytest.mark.django_db


def test_the_products_urls_have_no_bare_benchmark_views():
    with pytest.raises(Resolver404):
        resolve("/_bench/constant/")


def test_the_benchmark_settings_route_to_the_bare_views_and_the_products_pages():
    from config.settings import benchmark

    assert benchmark.ROOT_URLCONF == "benchmarks.urls"
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        assert resolve("/_bench/rows/").func.__module__ == "benchmarks.views"
        assert resolve("/decisions/").url_name == "decision-list"


@override_settings(ROOT_URLCONF="benchmarks.urls")
def test_the_bare_views_answer_with_their_stated_number_of_queries(login, architect, log):
    from adr.services import decision_create

    decision = decision_create(actor=architect, log=log, title="Keep tokens in cookies")
    Option.objects.create(decision=decision, title="Option one")
    client = login(architect)
    client.get("/_bench/constant/")  # the session and user, loaded once for the count below
    with CaptureQueriesContext(connection) as base:
        assert client.get("/_bench/constant/").content == b"ok"
    with CaptureQueriesContext(connection) as detail:
        response = client.get(f"/_bench/detail/{decision.pk}/")
    assert b"Keep tokens in cookies" in response.content
    assert b"Option one" in response.content
    with CaptureQueriesContext(connection) as rows:
        response = client.get("/_bench/rows/")
    assert b"AUTH-1" in response.content
    assert len(detail.captured_queries) - len(base.captured_queries) == 2
    assert len(rows.captured_queries) - len(base.captured_queries) == 1

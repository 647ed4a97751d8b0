"""Decisions are addressable by reference (AUTH-0001) as well as by id; a query
parameter the list does not know is a 400 that lists the known ones."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_decision_reads_and_writes_by_reference_as_by_id(api, architect, decision):
    client = api(architect)
    ref = decision.reference
    by_ref = client.get(f"/api/v1/decisions/{ref}/")
    assert by_ref.status_code == 200
    assert by_ref.json() == client.get(f"/api/v1/decisions/{decision.pk}/").json()
    # Lower case works too; a reference that names nothing is a 404.
    assert client.get(f"/api/v1/decisions/{ref.lower()}/").status_code == 200
    assert client.get(f"/api/v1/decisions/{decision.log.key}-9999/").status_code == 404
    assert client.get("/api/v1/decisions/NOPE-0001/").status_code == 404
    changed = client.patch(f"/api/v1/decisions/{ref}/", {"title": "Renamed"}, format="json")
    assert changed.status_code == 200 and changed.json()["title"] == "Renamed"


def test_unknown_query_parameters_are_refused_with_the_known_ones(api, architect, decision):
    client = api(architect)
    response = client.get("/api/v1/decisions/?search=cookies&status=proposed")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["unknown"] == ["search"]
    assert {"q", "log", "status", "tag", "needs_review", "page"} <= set(body["errors"]["known"])
    assert "Unknown query parameter: search" in body["detail"]
    # The known ones still filter.
    assert client.get("/api/v1/decisions/?q=cookies").json()["count"] == 1
    assert client.get("/api/v1/decisions/?q=nothing-like-it").json()["count"] == 0

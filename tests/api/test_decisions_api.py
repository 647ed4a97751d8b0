"""Decisions over the API: nested reads, writes through the services' rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adr import services
from adr.models import Decision

pytestmark = pytest.mark.django_db


def test_a_decision_reads_with_options_matrix_notes_and_relations(api, architect, decision):
    opt1, opt2 = decision.options.order_by("position")
    crit = services.criterion_save(actor=architect, decision=decision, name="Cost")
    services.cell_set(actor=architect, criterion=crit, option=opt1, text="cheap", score=4)
    services.sensitivity_note_save(
        actor=architect, decision=decision, condition="Not on Vercel?", favours=opt1
    )
    other = services.decision_create(
        actor=architect, log=decision.log, title="Other", status="accepted"
    )
    services.relation_add(actor=architect, source=decision, target=other, kind="amends")
    body = api(architect).get(f"/api/v1/decisions/{decision.pk}/").json()
    assert body["reference"] == "AUTH-0001"
    assert [o["title"] for o in body["options"]] == ["Option 1", "Option 2"]
    assert body["criteria"][0]["cells"] == [{"option": opt1.pk, "text": "cheap", "score": 4}]
    assert body["sensitivity_notes"][0]["favours"] == opt1.pk
    assert body["relations"][0]["kind"] == "amends"
    assert body["relations"][0]["target_reference"] == "AUTH-0002"
    assert body["tags"] == ["auth"]


def test_the_list_filters_paginates_and_keeps_its_query_count(
    api, architect, log, django_assert_max_num_queries
):
    for i in range(30):
        services.decision_create(
            actor=architect,
            log=log,
            title=f"D{i}",
            status="accepted" if i % 2 else "proposed",
            tags=["x"],
        )
    client = api(architect)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/decisions/?status=accepted&log=auth").json()
    assert body["count"] == 15
    assert {d["status"] for d in body["results"]} == {"accepted"}
    assert client.get("/api/v1/decisions/?q=D29").json()["count"] == 1
    assert client.get("/api/v1/decisions/?tag=x").json()["count"] == 30
    bad = client.get("/api/v1/decisions/?status=nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_a_status_change_follows_the_lifecycle(api, architect, decision):
    client = api(architect)
    ok = client.patch(f"/api/v1/decisions/{decision.pk}/", {"status": "accepted"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    refused = client.patch(
        f"/api/v1/decisions/{decision.pk}/", {"status": "proposed"}, format="json"
    )
    assert refused.status_code == 400
    assert "cannot become proposed" in refused.json()["detail"]
    decision.refresh_from_db()
    assert decision.status == "accepted"
    assert decision.history.first().history_change_reason == "status changed over the API"


def test_a_deferral_without_a_trigger_or_revisit_date_is_refused(api, architect, decision):
    client = api(architect)
    refused = client.patch(
        f"/api/v1/decisions/{decision.pk}/", {"status": "deferred"}, format="json"
    )
    assert refused.status_code == 400
    assert "procrastination" in refused.json()["detail"]
    later = (date.today() + timedelta(days=90)).isoformat()
    ok = client.patch(
        f"/api/v1/decisions/{decision.pk}/",
        {"status": "deferred", "revisit_by": later},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "deferred"


def test_options_and_relations_are_written_through_the_services(api, architect, decision):
    client = api(architect)
    created = client.post(
        "/api/v1/options/",
        {"decision": decision.pk, "title": "Option 3", "position": 2, "chosen": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    option_id = created.json()["id"]
    chosen = client.post(
        "/api/v1/options/",
        {"decision": decision.pk, "title": "Option 4", "chosen": True},
        format="json",
    )
    assert chosen.status_code == 201
    assert list(decision.options.filter(chosen=True).values_list("title", flat=True)) == [
        "Option 4"
    ]
    assert (
        client.patch(f"/api/v1/options/{option_id}/", {"good": "Fast"}, format="json").json()[
            "good"
        ]
        == "Fast"
    )
    assert client.delete(f"/api/v1/options/{option_id}/").status_code == 204
    other = services.decision_create(actor=architect, log=decision.log, title="Older")
    refused = client.post(
        "/api/v1/relations/",
        {"source": decision.pk, "target": other.pk, "kind": "supersedes"},
        format="json",
    )
    assert refused.status_code == 400
    assert "only an accepted decision can be superseded" in refused.json()["detail"]
    ok = client.post(
        "/api/v1/relations/",
        {"source": decision.pk, "target": other.pk, "kind": "relates_to"},
        format="json",
    )
    assert ok.status_code == 201


def test_logs_are_read_by_key_and_created_by_architects(api, architect, log):
    client = api(architect)
    assert client.get("/api/v1/logs/AUTH/").json()["name"] == "Platform Auth"
    created = client.post("/api/v1/logs/", {"key": "PAY", "name": "Payments"}, format="json")
    assert created.status_code == 201, created.content
    dup = client.post("/api/v1/logs/", {"key": "PAY", "name": "Again"}, format="json")
    assert dup.status_code == 400
    renamed = client.patch("/api/v1/logs/PAY/", {"name": "Payments team"}, format="json")
    assert renamed.json()["name"] == "Payments team"


def test_the_log_list_counts_decisions_without_a_query_per_log(
    api, architect, log, django_assert_max_num_queries
):
    for i in range(20):
        other = services.log_create(actor=architect, key=f"L{i:02d}", name=f"Log {i}")
        services.decision_create(actor=architect, log=other, title="One")
    services.decision_create(actor=architect, log=log, title="First")
    services.decision_create(actor=architect, log=log, title="Second")
    client = api(architect)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/logs/").json()
    counts = {item["key"]: item["decision_count"] for item in body["results"]}
    assert counts["AUTH"] == 2 and counts["L07"] == 1


def test_number_and_review_flags_cannot_be_written(api, architect, decision):
    client = api(architect)
    client.patch(
        f"/api/v1/decisions/{decision.pk}/",
        {"number": 99, "needs_review": True, "log": "OTHER"},
        format="json",
    )
    decision.refresh_from_db()
    assert (decision.number, decision.needs_review, decision.log.key) == (1, False, "AUTH")
    assert Decision.objects.count() == 1


def test_the_matrix_and_sensitivity_notes_are_written_through_the_services(
    api, architect, stakeholder, decision
):
    client = api(architect)
    opt1, opt2 = decision.options.order_by("position")
    crit = client.post(
        "/api/v1/criteria/",
        {"decision": decision.pk, "name": "Cost", "weight": "1.5"},
        format="json",
    )
    assert crit.status_code == 201, crit.content
    crit_id = crit.json()["id"]
    cell = client.post(
        "/api/v1/criteria/cells/",
        {"criterion": crit_id, "option": opt2.pk, "text": "cheap", "score": 4},
        format="json",
    )
    assert cell.json()["cells"] == [{"option": opt2.pk, "text": "cheap", "score": 4}]
    out_of_range = client.post(
        "/api/v1/criteria/cells/",
        {"criterion": crit_id, "option": opt2.pk, "score": 9},
        format="json",
    )
    assert out_of_range.status_code == 400
    other = services.decision_create(actor=architect, log=decision.log, title="Other")
    foreign = services.option_save(actor=architect, decision=other, title="Elsewhere")
    mixed = client.post(
        "/api/v1/criteria/cells/", {"criterion": crit_id, "option": foreign.pk}, format="json"
    )
    assert mixed.status_code == 400
    note = client.post(
        "/api/v1/sensitivity-notes/",
        {"decision": decision.pk, "condition": "Not on Vercel?", "favours": opt1.pk},
        format="json",
    )
    assert note.status_code == 201, note.content
    wrong = client.patch(
        f"/api/v1/sensitivity-notes/{note.json()['id']}/", {"favours": foreign.pk}, format="json"
    )
    assert wrong.status_code == 400
    assert api(stakeholder).delete(f"/api/v1/criteria/{crit_id}/").status_code == 403
    assert client.delete(f"/api/v1/criteria/{crit_id}/").status_code == 204
    assert not decision.criteria.exists()


def test_a_decision_is_created_with_its_options_matrix_and_notes(api, architect, log):
    body = {
        "log": "AUTH",
        "title": "Where the tokens live",
        "options": [{"title": "Cookies"}, {"title": "Memory", "chosen": True}],
        "criteria": [
            {"name": "Cost", "weight": "1.5", "cells": [{"option": 2, "text": "low", "score": 4}]}
        ],
        "sensitivity_notes": [{"condition": "Not on Vercel?", "favours": 1}],
    }
    response = api(architect).post("/api/v1/decisions/", body, format="json")
    assert response.status_code == 201, response.json()
    d = Decision.objects.get(log=log, number=1)
    cookies, memory = d.options.order_by("position")
    assert (cookies.title, cookies.chosen, memory.title, memory.chosen) == (
        "Cookies",
        False,
        "Memory",
        True,
    )
    cell = d.criteria.get().cells.get()
    assert (cell.option, cell.text, cell.score) == (memory, "low", 4)
    assert d.sensitivity_notes.get().favours == cookies
    assert response.json()["options"][1]["title"] == "Memory"


def test_an_edit_with_part_lists_writes_only_what_changed(api, architect, decision):
    """The same writer as the edit page and the importer: lists replace the decision's
    parts by position, unchanged parts get no history row, extra parts go."""
    first = decision.options.get(position=0)
    history_before = first.history.count()
    client = api(architect)
    response = client.patch(
        f"/api/v1/decisions/{decision.pk}/",
        {"options": [{"title": "Option 1"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert list(decision.options.values_list("title", flat=True)) == ["Option 1"]
    assert first.history.count() == history_before  # unchanged: no write
    # A list left out keeps those parts.
    response = client.patch(
        f"/api/v1/decisions/{decision.pk}/", {"title": "Renamed"}, format="json"
    )
    assert list(decision.options.values_list("title", flat=True)) == ["Option 1"]
    two_chosen = [{"title": "A", "chosen": True}, {"title": "B", "chosen": True}]
    refused = client.patch(
        f"/api/v1/decisions/{decision.pk}/", {"options": two_chosen}, format="json"
    )
    assert refused.status_code == 400
    assert list(decision.options.values_list("title", flat=True)) == ["Option 1"]

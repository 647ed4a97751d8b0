"""Risk acceptances over the API: read, draft and edit drafts; never submit or sign."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from risks import services
from risks.models import RiskAcceptance

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(architect, stakeholder, stakeholder2, decision):
    return services.acceptance_create(
        actor=architect,
        title="Readable tokens",
        risk_statement="XSS could read tokens.",
        owner=stakeholder,
        decisions=[decision],
        mitigations=[{"description": "Strict CSP", "status": "in_place"}],
        signatories=[{"user": stakeholder, "meaning": "risk owner"}],
        expires_on=date.today() + timedelta(days=90),
    )


def test_readers_see_acceptances_with_their_lists(api, auditor, draft):
    body = api(auditor).get("/api/v1/risk-acceptances/").json()
    item = body["results"][0]
    assert item["title"] == "Readable tokens"
    assert item["state"] == "draft"
    assert item["decision_references"] == ["AUTH-0001"]
    assert item["mitigations"][0]["description"] == "Strict CSP"
    assert item["signatories"] == [
        {"id": draft.signatories.get().pk, "position": 0, "user": "sam", "meaning": "risk owner"}
    ]
    assert item["signatures"] == []
    assert api(auditor).get("/api/v1/risk-acceptances/?state=accepted").json()["count"] == 0
    assert api(auditor).get("/api/v1/risk-acceptances/?owner=sam").json()["count"] == 1


def test_an_architect_drafts_an_acceptance(api, architect, stakeholder, decision):
    response = api(architect).post(
        "/api/v1/risk-acceptances/",
        {
            "title": "Legacy TLS",
            "risk_statement": "Old ciphers.",
            "owner": "sam",
            "likelihood": 2,
            "impact": 4,
            "decisions": [decision.pk],
            "mitigations": [{"description": "WAF rule"}],
            "signatories": [{"user": "sam", "meaning": "risk owner"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft" and body["rating"] == 8
    acceptance = RiskAcceptance.objects.get(pk=body["id"])
    assert acceptance.created_by == architect
    assert acceptance.history.first().history_change_reason == "drafted over the API"


def test_a_stakeholder_cannot_draft_but_the_owner_edits_their_draft(api, stakeholder, draft):
    client = api(stakeholder)
    refused = client.post(
        "/api/v1/risk-acceptances/",
        {"title": "X", "risk_statement": "Y", "owner": "sam"},
        format="json",
    )
    assert refused.status_code == 403
    edited = client.patch(f"/api/v1/risk-acceptances/{draft.pk}/", {"impact": 5}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["impact"] == 5


def test_someone_else_cannot_edit_the_draft(api, stakeholder2, draft):
    refused = api(stakeholder2).patch(
        f"/api/v1/risk-acceptances/{draft.pk}/", {"impact": 5}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the accountable owner or an architect can change this."


def test_an_acceptance_out_of_draft_answers_409_and_is_not_changed(api, architect, draft):
    from triggers.models import Trigger  # noqa: F401  (submit checks need a trigger)

    RiskAcceptance.objects.filter(pk=draft.pk).update(state="awaiting")  # test setup only
    refused = api(architect).patch(
        f"/api/v1/risk-acceptances/{draft.pk}/", {"title": "Changed"}, format="json"
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict"
    draft.refresh_from_db()
    assert draft.title == "Readable tokens"


def test_there_is_no_way_to_sign_or_submit_over_the_api(api, architect, stakeholder, draft):
    for user in (architect, stakeholder):
        client = api(user)
        for suffix in ("sign/", "submit/", "signatures/"):
            response = client.post(f"/api/v1/risk-acceptances/{draft.pk}/{suffix}", {})
            assert response.status_code == 404
        put = client.patch(
            f"/api/v1/risk-acceptances/{draft.pk}/",
            {"state": "accepted", "signatures": [{"verdict": "approve"}]},
            format="json",
        )
        assert put.status_code in (200, 403)
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert not draft.signatures.exists()


def test_the_list_keeps_its_query_count(
    api, auditor, architect, stakeholder, decision, django_assert_max_num_queries
):
    for i in range(20):
        services.acceptance_create(
            actor=architect,
            title=f"A{i}",
            risk_statement="r",
            owner=stakeholder,
            decisions=[decision],
            mitigations=[{"description": "m"}],
        )
    client = api(auditor)
    with django_assert_max_num_queries(14):
        assert client.get("/api/v1/risk-acceptances/").json()["count"] == 20


def test_a_nul_character_in_a_username_is_a_400(api, architect):
    response = api(architect).post(
        "/api/v1/risk-acceptances/",
        {"title": "T", "risk_statement": "R", "owner": "sa\x00m"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"owner": ["Invalid value."]}

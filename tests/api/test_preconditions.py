"""ETag / If-Match on the API: a write based on an old version gets 412 and changes
nothing; without If-Match a write applies to the current version (docs/api.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adr import services as adr_services
from adr.models import Decision
from risks import services as risk_services
from triggers import services as trigger_services

pytestmark = pytest.mark.django_db


def etag_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response["ETag"]


def test_a_decision_patch_with_a_stale_if_match_gets_412_and_changes_nothing(
    api, architect, decision
):
    client = api(architect)
    url = f"/api/v1/decisions/{decision.pk}/"
    seen = etag_of(client, url)
    version = Decision.objects.get(pk=decision.pk).version  # options added: not 1
    assert seen == f'"{version}"'
    # Someone else edits in the web UI meanwhile.
    adr_services.decision_update(actor=architect, decision=decision, title="Edited in the UI")

    response = client.patch(url, {"title": "From the pipeline"}, format="json", HTTP_IF_MATCH=seen)

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response["ETag"] == f'"{version + 1}"'
    decision.refresh_from_db()
    assert (decision.title, decision.version) == ("Edited in the UI", version + 1)


def test_a_decision_patch_with_the_current_if_match_applies_and_answers_the_new_etag(
    api, architect, decision
):
    client = api(architect)
    url = f"/api/v1/decisions/{decision.pk}/"
    version = Decision.objects.get(pk=decision.pk).version
    response = client.patch(
        url, {"title": "New title"}, format="json", HTTP_IF_MATCH=etag_of(client, url)
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{version + 1}"' and response.json()["version"] == version + 1
    # A status change and an edit in one request: one check, both applied.
    response = client.patch(
        url,
        {"status": "accepted", "context": "Decided."},
        format="json",
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200, response.json()
    decision.refresh_from_db()
    assert (decision.status, decision.context) == ("accepted", "Decided.")


def test_a_write_without_if_match_applies_to_the_current_version(api, architect, decision):
    adr_services.decision_update(actor=architect, decision=decision, title="Edited in the UI")
    response = api(architect).patch(
        f"/api/v1/decisions/{decision.pk}/", {"context": "Only this."}, format="json"
    )
    assert response.status_code == 200
    decision.refresh_from_db()
    assert (decision.title, decision.context) == ("Edited in the UI", "Only this.")


def test_an_if_match_that_names_no_version_gets_412(api, architect, decision):
    response = api(architect).patch(
        f"/api/v1/decisions/{decision.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH="abc"
    )
    assert response.status_code == 412
    assert Decision.objects.get(pk=decision.pk).title != "x"


def test_a_log_rename_with_a_stale_if_match_gets_412(api, architect, log):
    client = api(architect)
    url = f"/api/v1/logs/{log.key}/"
    seen = etag_of(client, url)
    adr_services.log_update(actor=architect, log=log, name="Identity")
    response = client.patch(url, {"name": "Auth"}, format="json", HTTP_IF_MATCH=seen)
    assert response.status_code == 412
    log.refresh_from_db()
    assert log.name == "Identity"


def test_an_acceptance_edit_with_a_stale_if_match_gets_412(api, architect, stakeholder):
    acceptance = risk_services.acceptance_create(
        actor=architect,
        title="Readable tokens",
        risk_statement="XSS could read tokens.",
        owner=stakeholder,
        expires_on=date.today() + timedelta(days=90),
    )
    client = api(architect)
    url = f"/api/v1/risk-acceptances/{acceptance.pk}/"
    seen = etag_of(client, url)
    risk_services.acceptance_update(actor=architect, acceptance=acceptance, likelihood=5)
    response = client.patch(url, {"title": "Stale"}, format="json", HTTP_IF_MATCH=seen)
    assert response.status_code == 412
    acceptance.refresh_from_db()
    assert (acceptance.title, acceptance.likelihood) == ("Readable tokens", 5)
    response = client.patch(url, {"title": "Fresh"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200 and response["ETag"] == '"3"'


def test_an_initiative_status_with_a_stale_if_match_gets_412(api, architect, staff):
    rbac = trigger_services.initiative_create(actor=architect, name="RBAC rollout")
    client = api(staff)
    url = f"/api/v1/initiatives/{rbac.pk}/"
    seen = etag_of(client, url)
    trigger_services.initiative_set_status(actor=architect, initiative=rbac, status="cancelled")
    response = client.patch(url, {"status": "done"}, format="json", HTTP_IF_MATCH=seen)
    assert response.status_code == 412
    rbac.refresh_from_db()
    assert rbac.status == "cancelled"


def test_a_trigger_detail_carries_its_etag(api, architect):
    trigger = trigger_services.trigger_create(
        actor=architect, name="Sunset", kind="date", params={"date": "2031-03-31"}
    )
    assert etag_of(api(architect), f"/api/v1/triggers/{trigger.pk}/") == '"1"'

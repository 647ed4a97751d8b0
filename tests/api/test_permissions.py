"""The API's permissions mirror the web UI's, per role and per token."""

from __future__ import annotations

import pytest
from django.utils import timezone

from config.accounts.models import ApiToken
from config.accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

READ_URLS = ["/api/v1/logs/", "/api/v1/decisions/", "/api/v1/risk-acceptances/", "/api/v1/export/"]


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}
    assert body["status"] == status
    return body


@pytest.mark.parametrize("url", READ_URLS)
def test_anonymous_requests_get_401_with_the_error_body(api, url):
    body = _error(api().get(url), 401)
    assert body["code"] == "not_authenticated"
    assert api().get(url)["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("url", READ_URLS)
def test_a_user_without_a_role_gets_403(api, outsider, url):
    body = _error(api(outsider).get(url), 403)
    assert "no role" in body["detail"]


@pytest.mark.parametrize("persona", ["architect", "stakeholder", "auditor", "staff"])
@pytest.mark.parametrize("url", READ_URLS)
def test_every_role_reads(api, request, persona, url, log):
    user = request.getfixturevalue(persona)
    assert api(user).get(url).status_code == 200


@pytest.mark.parametrize("persona", ["stakeholder", "auditor"])
def test_stakeholders_and_auditors_cannot_write(api, request, persona, decision, log):
    client = api(request.getfixturevalue(persona))
    _error(client.post("/api/v1/decisions/", {"log": "AUTH", "title": "X"}, format="json"), 403)
    _error(client.patch(f"/api/v1/decisions/{decision.pk}/", {"title": "Y"}, format="json"), 403)
    _error(client.post("/api/v1/logs/", {"key": "NEW", "name": "n"}, format="json"), 403)
    body = _error(
        client.post("/api/v1/options/", {"decision": decision.pk, "title": "Z"}, format="json"),
        403,
    )
    assert body["detail"] == "This needs the role: architect."
    decision.refresh_from_db()
    assert decision.title == "Keep tokens in cookies"


def test_an_architect_writes(api, architect, log):
    client = api(architect)
    response = client.post(
        "/api/v1/decisions/",
        {"log": "AUTH", "title": "Use Redis", "tags": ["Cache"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "AUTH-0001"
    assert response.json()["tags"] == ["cache"]


def test_a_valid_token_authenticates_and_records_its_use(api, architect):
    token, raw = api_token_create(user=architect, name="pipeline")
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/logs/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert ApiToken.objects.filter(digest=ApiToken.hash(raw)).exists()
    assert not ApiToken.objects.filter(digest=raw).exists()


def test_a_revoked_token_is_refused_with_401(api, architect):
    token, raw = api_token_create(user=architect, name="pipeline")
    api_token_revoke(actor=architect, token=token)
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = _error(client.get("/api/v1/logs/"), 401)
    assert body["detail"] == "Invalid or revoked token."


def test_an_unknown_or_malformed_token_is_refused(api):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer dl_nope")
    _error(client.get("/api/v1/logs/"), 401)
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert _error(client.get("/api/v1/logs/"), 401)["detail"] == "Malformed Authorization header."


def test_a_token_of_a_deactivated_user_is_refused(api, architect):
    client = api(architect)
    architect.is_active = False
    architect.save()
    _error(client.get("/api/v1/logs/"), 401)


def test_session_auth_works_for_the_browser(login, auditor, log):
    assert login(auditor).get("/api/v1/logs/").status_code == 200


def test_errors_share_one_body_for_404_405_and_400(api, architect, decision):
    client = api(architect)
    assert _error(client.get("/api/v1/decisions/999999/"), 404)["code"] == "not_found"
    assert _error(client.get("/api/v1/nowhere/"), 404)["code"] == "not_found"
    assert _error(client.delete(f"/api/v1/decisions/{decision.pk}/"), 405)["code"] == (
        "method_not_allowed"
    )
    body = _error(client.post("/api/v1/decisions/", {"log": "AUTH"}, format="json"), 400)
    assert body["code"] == "invalid"
    assert "title" in body["errors"]
    assert body["detail"].startswith("title:")


def test_profile_page_creates_a_token_shown_once_and_revokes_it(login, stakeholder):
    client = login(stakeholder)
    page = client.post("/accounts/profile/", {"name": "my laptop"})
    assert page.status_code == 200
    token = stakeholder.api_tokens.get()
    raw = page.context["new_token"]["raw"]
    assert raw.startswith("dl_") and ApiToken.hash(raw) == token.digest
    assert raw.encode() in page.content
    again = client.get("/accounts/profile/")
    assert raw.encode() not in again.content
    assert token.hint.encode() in again.content
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()


def test_a_token_needs_a_name(login, stakeholder):
    page = login(stakeholder).post("/accounts/profile/", {"name": "  "})
    assert b"Give the token a name" in page.content
    assert not stakeholder.api_tokens.exists()


def test_nobody_revokes_someone_elses_token(login, stakeholder, stakeholder2):
    token, _ = api_token_create(user=stakeholder2, name="theirs")
    response = login(stakeholder).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_nul_byte_in_an_api_url_gets_the_api_error_body(client):
    response = client.get("/api/v1/decisions/?q=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"

"""The API root, the OpenAPI schema and Swagger UI: a role to read, like everything else."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URLS = ["/api/v1/", "/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("url", URLS)
def test_a_user_without_a_role_cannot_read_the_api_root_schema_or_docs(api, outsider, url):
    response = api(outsider).get(url)
    assert response.status_code == 403, response.content[:200]
    if url != "/api/docs/":  # Swagger UI is HTML: a bare 403 page
        assert b"no role" in response.content
    assert b"/api/v1/decisions/" not in response.content
    assert b"openapi" not in response.content


@pytest.mark.parametrize("url", URLS)
def test_a_no_role_session_gets_403_too(login, outsider, url):
    response = login(outsider).get(url)
    assert response.status_code == 403
    assert b"/api/v1/decisions/" not in response.content


@pytest.mark.parametrize("persona", ["architect", "stakeholder", "auditor", "staff"])
@pytest.mark.parametrize("url", URLS)
def test_every_role_reads_the_api_root_schema_and_docs(api, request, persona, url):
    response = api(request.getfixturevalue(persona)).get(url)
    assert response.status_code == 200, response.content[:200]


def test_the_api_root_lists_the_endpoints_for_a_reader(api, auditor):
    assert "decisions" in api(auditor).get("/api/v1/").json()

"""The OpenAPI schema validates without warnings; the docs load nothing from outside."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_the_schema_is_not_shown_to_anonymous_visitors(client):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code in (401, 403)


def test_the_schema_is_served_and_valid_openapi(client, auditor):
    client.force_login(auditor)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/decisions/{id}/",
        "/api/v1/logs/{key}/",
        "/api/v1/risk-acceptances/{id}/",
        "/api/v1/export/",
    ):
        assert path in paths
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    assert not any("sign" in p for p in paths)


def test_schema_generation_has_no_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )


def test_the_docs_page_loads_only_our_own_files(client, auditor):
    client.force_login(auditor)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert "script-src 'self'" in response["Content-Security-Policy"]

"""The JSON export for backup and audit: logs, decisions, acceptances and their history."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from adr import services

pytestmark = pytest.mark.django_db


def test_the_command_exports_logs_decisions_and_history(architect, decision, tmp_path):
    services.decision_update(actor=architect, decision=decision, context="Changed.", reason="why")
    out = tmp_path / "ledger.json"
    call_command("export_ledger_json", "--log", "AUTH", "--output", str(out), stderr=StringIO())
    data = json.loads(out.read_text())
    assert data["format"] == "decision-ledger-export"
    (log,) = data["logs"]
    (d,) = log["decisions"]
    assert d["reference"] == "AUTH-0001"
    assert [o["title"] for o in d["options"]] == ["Option 1", "Option 2"]
    history = d["history"]["decision"]
    assert history[0]["history_change_reason"] == "decision created"
    assert history[-1]["history_change_reason"] == "why"
    assert history[-1]["history_user"] == "alice"
    assert history[-1]["fields"]["context"] == "Changed."
    assert len(d["history"]["options"]) == 2


def test_the_api_export_downloads_for_auditors_and_includes_acceptances(
    api, auditor, architect, stakeholder, decision
):
    from risks.services import acceptance_create

    acceptance_create(
        actor=architect, title="T", risk_statement="R", owner=stakeholder, decisions=[decision]
    )
    response = api(auditor).get("/api/v1/export/?log=AUTH")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    data = json.loads(response.content)
    (acc,) = data["risk_acceptances"]
    assert acc["decisions"] == ["AUTH-0001"]
    assert acc["history"]["acceptance"][0]["history_type"] == "+"


def test_an_unknown_log_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such log: NOPE"):
        call_command("export_ledger_json", "--log", "nope")


def test_a_malformed_log_key_is_a_400_not_a_server_error(api, auditor):
    response = api(auditor).get("/api/v1/export/?log=A-B")
    assert response.status_code == 400
    assert response.json()["errors"] == {"log": ["'A-B' is not a log key (e.g. AUTH)."]}
    # NUL bytes in a URL are refused before any view (config/middleware.py).
    assert api(auditor).get("/api/v1/export/?log=A%00B").status_code == 400

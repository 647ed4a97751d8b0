"""The JSON export is assembled from sections the apps register (config/api/ledger_json.py):
the document's shape must not depend on anything but app order."""

from __future__ import annotations

import pytest

from config.api.ledger_json import SECTIONS, ledger_export

pytestmark = pytest.mark.django_db


def test_adr_and_risks_register_their_sections_in_app_order():
    assert [section.key for section in SECTIONS] == ["logs", "risk_acceptances"]


def test_the_document_keeps_its_top_level_keys_in_order(log):
    data = ledger_export(log_keys=[log.key.lower()])
    assert list(data) == ["format", "version", "exported_at", "logs", "risk_acceptances"]
    assert [entry["key"] for entry in data["logs"]] == [log.key]

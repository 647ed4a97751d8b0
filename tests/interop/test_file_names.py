"""File names: adr-NNN-slug.md is read, templates are skipped with a note, names are
written back, and a folder with nothing importable creates nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from adr import services
from adr.interop.importer import import_files
from adr.interop.write import filename, render
from adr.models import Decision, DecisionLog

pytestmark = pytest.mark.django_db

ADR = (
    b"# Architecture Decision Record: Use [Lunr](https://lunrjs.com) for search\n\n"
    b"## Status\n\nAccepted\n\n## Context\n\nSee [the other one](adr-002-other.md).\n"
)
OTHER = b"# ADR 2: Other\n\n## Status\n\nProposed\n"


def test_adr_nnn_files_import_and_keep_their_names(architect):
    log = services.log_create(actor=architect, key="ARA", name="a")
    report = import_files(
        files=[("adr-001-use-lunr.md", ADR), ("adr-002-other.md", OTHER)], log=log, actor=architect
    )
    assert [r.action for r in report.results] == ["created", "created"]
    first = Decision.objects.get(log=log, number=1)
    # A Markdown link in the title is text in the ledger (slugs, adr-tools' graph) and
    # comes back as written in the file.
    assert first.title == "Use Lunr for search"
    assert filename(first) == "adr-001-use-lunr.md"
    assert (
        render(first, "madr")
        .split("\n---\n\n", 1)[1]
        .startswith("# Architecture Decision Record: Use [Lunr](https://lunrjs.com) for search\n")
    )
    assert render(first, "nygard").startswith("# 1. Use Lunr for search\n")


def test_templates_are_skipped_with_a_note(architect, tmp_path):
    (tmp_path / "0000-TEMPLATE.md").write_bytes(b"# [short title]\n\n## Status\n\nAccepted\n")
    (tmp_path / "template.md").write_bytes(b"# Title\n")
    (tmp_path / "0001-real.md").write_bytes(OTHER)
    out = StringIO()
    call_command("import_adrs", str(tmp_path), "--log", "TPL", "--create-log", stdout=out)
    log = DecisionLog.objects.get(key="TPL")
    assert list(log.decisions.values_list("number", flat=True)) == [1]
    assert "skipped (templates): 0000-TEMPLATE.md, template.md" in out.getvalue()
    assert "2 templates skipped" in out.getvalue()


def test_a_folder_with_nothing_importable_creates_nothing(tmp_path):
    (tmp_path / "README.md").write_bytes(b"# Read me\n")
    (tmp_path / "0000-template.md").write_bytes(b"# T\n")
    with pytest.raises(CommandError, match="nothing was created"):
        call_command(
            "import_adrs", str(tmp_path), "--log", "NONE", "--create-log", stdout=StringIO()
        )
    assert not DecisionLog.objects.filter(key="NONE").exists()


def test_links_between_adrs_open_the_decision_in_the_app(architect, login):
    log = services.log_create(actor=architect, key="LNK", name="l")
    import_files(
        files=[("adr-001-use-lunr.md", ADR), ("adr-002-other.md", OTHER)], log=log, actor=architect
    )
    first = Decision.objects.get(log=log, number=1)
    page = login(architect).get("/decisions/LNK-0001/").content.decode()
    # The file keeps the relative link; the page points at the decision.
    assert "[the other one](adr-002-other.md)" in first.context
    assert 'href="/decisions/LNK-0002/"' in page
    assert 'href="adr-002-other.md"' not in page


def test_free_text_consequences_show_as_neutral_on_the_decision_page(architect, login):
    log = services.log_create(actor=architect, key="NEU", name="n")
    text = OTHER + b"\n## Consequences\n\nCosts go up; risks too.\n"
    import_files(files=[("0001-other.md", text)], log=log, actor=architect)
    page = login(architect).get("/decisions/NEU-0001/").content.decode()
    assert "<h3>Neutral</h3>" in page and "Costs go up; risks too." in page
    assert "<h3>Good</h3>" not in page and "<h3>Bad</h3>" not in page

"""The exports read by the real tools: adr-tools on the Nygard export (list, generate
toc, generate graph, new -s) and log4brains 1.1.0 on the MADR export (statuses and
dates as the ledger has them)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from adr import services
from adr.interop.importer import import_files, read_folder
from adr.interop.write import decisions_for_export, filename, render
from adr.models import Decision, DecisionRelation

from .conftest import CORPORA, _require, corpus_folders
from .tools import adr_tools, log4brains_read, run

pytestmark = pytest.mark.django_db


def _write(log, folder: Path, fmt: str, **options) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for decision in decisions_for_export(log):
        (folder / filename(decision)).write_text(render(decision, fmt, **options))


def test_adr_tools_reads_the_nygard_export(architect, tmp_path):
    _require(corpus_folders())
    adr = adr_tools()
    log = services.log_create(actor=architect, key="TOOLS", name="tools")
    import_files(files=read_folder(CORPORA / "adr-tools"), log=log, actor=architect)
    folder = tmp_path / "doc" / "adr"
    _write(log, folder, "nygard")
    decisions = list(Decision.objects.filter(log=log).order_by("number"))

    listed = run([adr, "list"], tmp_path).split()
    assert listed == [f"doc/adr/{d.source_file}" for d in decisions]

    toc = run([adr, "generate", "toc"], tmp_path)
    for d in decisions:
        assert f"* [{d.number}. {d.title}]({d.source_file})" in toc

    graph = run([adr, "generate", "graph"], tmp_path)
    for d in decisions:
        assert f'_{d.number} [label="{d.number}. {d.title}";' in graph
    for rel in DecisionRelation.objects.filter(source__log=log).select_related("source", "target"):
        label = {"supersedes": "Supersedes", "amends": "Amends"}.get(rel.kind)
        if label:
            assert f'_{rel.source.number} -> _{rel.target.number} [label="{label}"' in graph

    # Each status as adr-tools reads it (the first line of the Status section).
    for d in decisions:
        status = run(["/usr/libexec/adr-tools/_adr_status", str(d.number)], tmp_path)
        first = status.split("\n")[0]
        assert first.split()[0].lower().startswith(d.status[:6]), (d.number, status)

    # `adr new -s 9` supersedes decision 9 in the files; the ledger reads that back.
    run(
        [adr, "new", "-s", "9", "Generate help from metadata"],
        tmp_path,
        EDITOR="true",
        VISUAL="true",
    )
    again = import_files(files=read_folder(folder), log=log, actor=architect)
    actions = {r.name: r.action for r in again.results}
    assert actions["0010-generate-help-from-metadata.md"] == "created"
    assert actions["0009-help-scripts.md"] == "updated"
    assert Decision.objects.get(log=log, number=9).status == "superseded"
    assert DecisionRelation.objects.filter(
        source__log=log, source__number=10, target__number=9, kind="supersedes"
    ).exists()
    assert [
        a
        for name, a in actions.items()
        if name not in ("0009-help-scripts.md", "0010-generate-help-from-metadata.md")
    ] == ["unchanged"] * 8


L4B_STATUS = {"deferred": "draft"}  # log4brains has no deferred


@pytest.mark.parametrize("name", ["madr", "adr-tools", "jabref"])
def test_log4brains_reads_the_madr_export_for_log4brains(architect, tmp_path, name):
    _require(corpus_folders())
    log = services.log_create(actor=architect, key="L4B", name="l4b")
    import_files(files=read_folder(CORPORA / name), log=log, actor=architect)
    out = StringIO()
    call_command(
        "export_adrs", str(tmp_path / "docs" / "adr"), "--log", "L4B", "--log4brains", stdout=out
    )
    seen = log4brains_read(tmp_path, "docs/adr")
    decisions = list(Decision.objects.filter(log=log))
    assert len(seen) == len(decisions)
    for d in decisions:
        got = seen[d.source_file.removesuffix(".md")]
        assert got["status"] == L4B_STATUS.get(d.status, d.status), (d.source_file, got)
        assert (got["date"] or "")[:10] == (d.decided_on.isoformat() if d.decided_on else ""), (
            d.source_file,
            got,
        )
    # The same files still import as the same decisions (front matter closed with "...").
    copy = services.log_create(actor=architect, key="L4BCOPY", name="copy")
    again = import_files(files=read_folder(tmp_path / "docs" / "adr"), log=copy, actor=architect)
    assert all(r.action == "created" for r in again.results)
    for d in decisions:
        twin = Decision.objects.get(log=copy, number=d.number)
        assert (twin.status, twin.decided_on, twin.title) == (d.status, d.decided_on, d.title)

"""Import the shared corpora, export them, import the export: the same decisions come back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from adr import demo, services
from adr.interop.importer import decision_snapshot, import_files, read_folder
from adr.interop.write import decisions_for_export, filename, render
from adr.models import Decision, DecisionLog, DecisionRelation

pytestmark = pytest.mark.django_db


def _log(architect, key):
    return services.log_create(actor=architect, key=key, name=key)


def _snapshots(log):
    return {d.number: decision_snapshot(d) for d in Decision.objects.filter(log=log)}


def _relations(log):
    return sorted(
        (
            r.source.number,
            r.target.log.key if r.target.log_id != log.pk else "",
            r.target.number,
            r.kind,
            r.note,
        )
        for r in DecisionRelation.objects.filter(source__log=log).select_related(
            "source", "target__log"
        )
    )


def _export(log, fmt) -> list[tuple[str, bytes]]:
    return [(filename(d), render(d, fmt).encode()) for d in decisions_for_export(log)]


def _assert_same(first, second):
    """Same content; the copy also remembers the files it came from (the original log
    was made in the ledger)."""
    a, b = _snapshots(first), _snapshots(second)
    assert sorted(a) == sorted(b)
    for number in a:
        for key in set(a[number]) - {"source_file", "source_meta"}:
            assert a[number][key] == b[number][key], (number, key)
    assert _relations(first) == _relations(second)


def test_corpora_keep_what_they_say(architect, corpora):
    by_name = {p.name: p for p in corpora}
    tools = _log(architect, "TOOLS")
    import_files(files=read_folder(by_name["adr-tools"]), log=tools, actor=architect)
    first = Decision.objects.get(log=tools, number=1)
    assert first.title == "Record architecture decisions"
    assert first.status == "accepted"
    assert first.decided_on == date(2016, 2, 12)
    assert "Michael Nygard" in first.outcome_rationale
    assert "We need to record" in first.context
    assert first.consequences_neutral.startswith("See Michael Nygard")
    assert first.consequences_good == first.consequences_bad == ""
    assert ("amends", 9, 5) in [
        (r.kind, r.source.number, r.target.number)
        for r in DecisionRelation.objects.filter(source__log=tools)
    ]

    madr = _log(architect, "MADR")
    import_files(files=read_folder(by_name["madr"]), log=madr, actor=architect)
    lic = Decision.objects.get(log=madr, number=1)
    options = list(lic.options.order_by("position"))
    assert [o.title for o in options][:3] == [
        "[CC0](https://creativecommons.org/share-your-work/public-domain/cc0/)",
        "BSD3",
        "MIT",
    ]
    chosen = [o.title for o in options if o.chosen]
    assert chosen == ["Dual license with MIT and CC0"]
    assert "choose whether CC0 or MIT" in lic.outcome_rationale
    assert options[0].good.startswith("this license donates")
    assert "SPDX identifier" in options[3].description
    # Jekyll navigation front matter is kept, not dropped, and written back as it was.
    assert ["nav_order", "nav_order: 1"] in lic.source_meta["front_matter"]
    assert "\nnav_order: 1\n" in render(lic, "madr").split("\n---\n")[0] + "\n"
    on_hold = Decision.objects.get(log=madr, number=3)
    assert on_hold.status == "proposed"
    assert on_hold.source_meta["values"]["status"] == "on hold"
    assert "\nstatus: on hold\n---\n" in render(on_hold, "madr")
    confirmation = Decision.objects.get(log=madr, number=18)
    assert "Before next release" in confirmation.confirmation
    # A fenced example with headings inside an option stays in that option.
    yaml_option = Decision.objects.get(log=madr, number=13).options.get(position=0)
    assert "### Context and problem statement" in yaml_option.description


def test_reimporting_a_folder_changes_nothing_and_says_unchanged(architect, corpora, tmp_path):
    for i, folder in enumerate(corpora):
        # Each folder into its own log: numbers overlap between corpora.
        key = f"AGAIN{i}"
        log = _log(architect, key)
        import_files(files=read_folder(folder), log=log, actor=architect)
        history = Decision.history.count()
        out = StringIO()
        call_command("import_adrs", str(folder), "--log", key, "--user", "alice", stdout=out)
        assert Decision.history.count() == history
        assert "0 created, 0 updated" in out.getvalue()
        assert "unchanged" in out.getvalue()

        log = _log(architect, f"AGAIN{len(str(folder))}")


def test_reimporting_a_changed_file_updates_the_decision_with_history(architect, tmp_path):
    log = _log(architect, "EDIT")
    text = (
        "# 1. Use Postgres\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\n"
        "## Context\n\nWe need a DB.\n"
    )
    (tmp_path / "0001-use-postgres.md").write_text(text)
    call_command("import_adrs", str(tmp_path), "--log", "EDIT", stdout=StringIO())
    (tmp_path / "0001-use-postgres.md").write_text(text.replace("We need a DB.", "We need one."))
    out = StringIO()
    call_command("import_adrs", str(tmp_path), "--log", "EDIT", stdout=out)
    assert "0 created, 1 updated, 0 unchanged" in out.getvalue()
    decision = Decision.objects.get(log=log, number=1)
    assert decision.context == "We need one."
    assert decision.history.count() == 2
    assert decision.history.first().history_change_reason == "imported from 0001-use-postgres.md"
    assert Decision.objects.filter(log=log).count() == 1


def _build_rich_log(architect) -> DecisionLog:
    log = _log(architect, "RICH")
    old = services.decision_create(
        actor=architect,
        log=log,
        title="Store sessions in Redis",
        status="accepted",
        decided_on=date(2023, 5, 1),
        context="Sessions need a home.",
    )
    main = services.decision_create(
        actor=architect,
        log=log,
        title="Keep tokens in cookies for now",
        status="deferred",
        revisit_by=date(2027, 1, 31),
        tags=["security", "auth"],
        deciders="Alice, Eric",
        consulted="Sofia\nthe gateway team",
        informed="Sam",
        context="A pentest found readable tokens.\n\n## Not a section\n"[:33],
        drivers="Cost\nNo inline scripts",
        outcome_rationale="The matrix agrees,\nand timing decides.",
        consequences_good="* No disruption\n* Cheap",
        consequences_bad="* Finding stays open until a trigger fires:\n  XSS could leak tokens.",
        confirmation="* The acceptance is signed.",
        more_information="See the article.",
    )
    opts = []
    for i in range(4):
        opts.append(
            services.option_save(
                actor=architect,
                decision=main,
                position=i,
                title=f"Option {i + 1}: {['BFF', 'Broker', 'Authorizer', 'Defer'][i]}",
                description=f"Description {i}\n\nwith *markdown*",
                good="Fast\nSimple" if i % 2 == 0 else "",
                neutral="Meh" if i == 1 else "",
                bad="Costly",
                findings="Found things" if i == 3 else "",
                verdict="Right for now" if i == 3 else "",
                chosen=i == 3,
            )
        )
    for r, name in enumerate(["Cost", "Risk"]):
        crit = services.criterion_save(
            actor=architect,
            decision=main,
            position=r,
            name=name,
            description=f"{name} matters",
            weight=Decimal("1.5") if r else Decimal("1"),
        )
        for i, opt in enumerate(opts):
            services.cell_set(
                actor=architect, criterion=crit, option=opt, text=f"{name} {i}: a | b", score=i
            )
    services.sensitivity_note_save(
        actor=architect,
        decision=main,
        condition="Not on Vercel?",
        consequence="BFF wins",
        favours=opts[0],
    )
    services.sensitivity_note_save(actor=architect, decision=main, condition="No gateway?")
    newer = services.decision_create(
        actor=architect, log=log, title="Sessions in Postgres", status="accepted"
    )
    services.relation_add(
        actor=architect, source=newer, target=old, kind="supersedes", note="simpler"
    )
    services.relation_add(actor=architect, source=main, target=newer, kind="amends")
    services.relation_add(actor=architect, source=main, target=old, kind="relates_to")
    return log


@pytest.mark.parametrize("fmt", ["madr", "nygard"])
def test_a_log_with_options_matrix_and_relations_round_trips(architect, fmt):
    log = _build_rich_log(architect)
    copy = _log(architect, "RICHCOPY")
    report = import_files(files=_export(log, fmt), log=copy, actor=architect)
    assert all(r.action == "created" for r in report.results), [r.line for r in report.results]
    _assert_same(log, copy)
    # And re-importing that export into the copy is a no-op.
    again = import_files(files=_export(log, fmt), log=copy, actor=architect)
    assert [r.action for r in again.results] == ["unchanged"] * 3, [r.line for r in again.results]


@pytest.mark.parametrize("fmt", ["madr", "nygard"])
def test_the_demo_log_round_trips(architect, stakeholder, stakeholder2, stakeholder3, auditor, fmt):
    users = {
        "alice": architect,
        "sam": stakeholder,
        "sofia": stakeholder2,
        "eric": stakeholder3,
        "audrey": auditor,
    }
    demo.seed(users=users, stdout=StringIO())
    for log in DecisionLog.objects.all():
        copy = _log(architect, f"X{log.key}"[:12])
        report = import_files(files=_export(log, fmt), log=copy, actor=architect)
        assert all(r.action == "created" for r in report.results), [r.line for r in report.results]
        _assert_same(log, copy)


def test_export_command_writes_nnnn_slug_files_that_adr_tools_reads(architect, tmp_path):
    log = _build_rich_log(architect)
    call_command(
        "export_adrs", str(tmp_path), "--log", log.key, "--format", "nygard", stdout=StringIO()
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "0001-store-sessions-in-redis.md",
        "0002-keep-tokens-in-cookies-for-now.md",
        "0003-sessions-in-postgres.md",
    ]
    first = (tmp_path / names[0]).read_text()
    assert first.startswith(
        "# 1. Store sessions in Redis\n\nDate: 2023-05-01\n\n## Status\n\nSuperseded\n"
    )
    assert "Superseded by [3. Sessions in Postgres](0003-sessions-in-postgres.md)" in first
    third = (tmp_path / names[2]).read_text()
    assert (
        "Supersedes [1. Store sessions in Redis](0001-store-sessions-in-redis.md) — simpler"
        in third
    )
    for heading in ("## Context", "## Decision", "## Consequences"):
        assert heading in (tmp_path / names[1]).read_text()
    call_command("export_adrs", str(tmp_path / "m"), "--log", log.key, stdout=StringIO())
    madr = (tmp_path / "m" / names[1]).read_text()
    assert madr.startswith("---\nstatus: deferred\n")
    assert "decision-makers: Alice, Eric" in madr
    assert "## Context and Problem Statement" in madr
    assert 'Chosen option: "Option 4: Defer", because' in madr

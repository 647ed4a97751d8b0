"""Real ADR folders are messy: each problem gets a clear message and the rest imports."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adr import services
from adr.interop.importer import import_files
from adr.interop.parse import UnreadableFile, map_status, parse_adr
from adr.interop.write import render
from adr.models import Decision, DecisionLog, DecisionRelation

pytestmark = pytest.mark.django_db

GOOD = (
    b"# 1. Use Postgres\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\n"
    b"## Context\n\nWe need a DB.\n"
)


def _import(architect, files, key="MESSY"):
    log = services.log_create(actor=architect, key=key, name=key)
    return log, import_files(files=files, log=log, actor=architect)


def _by_name(report):
    return {r.name: r for r in report.results}


def test_an_empty_file_is_reported_and_the_rest_imports(architect):
    log, report = _import(architect, [("0001-use-postgres.md", GOOD), ("0002-empty.md", b"  \n")])
    results = _by_name(report)
    assert results["0002-empty.md"].action == "skipped"
    assert "empty file" in results["0002-empty.md"].line
    assert results["0001-use-postgres.md"].action == "created"
    assert log.decisions.count() == 1


def test_a_file_without_headings_keeps_its_whole_text_as_context(architect):
    text = b"We decided to use Kafka.\n\nBecause of throughput.\n"
    log, report = _import(architect, [("0004-use-kafka.md", text)])
    result = report.results[0]
    assert result.action == "created"
    assert "no headings" in result.line
    decision = log.decisions.get(number=4)
    assert decision.title == "Use kafka"
    assert decision.context == "We decided to use Kafka.\n\nBecause of throughput."


def test_duplicate_numbers_import_the_first_and_report_the_second(architect):
    other = GOOD.replace(b"Use Postgres", b"Use MySQL")
    log, report = _import(architect, [("0001-use-postgres.md", GOOD), ("0001-use-mysql.md", other)])
    results = _by_name(report)
    assert results["0001-use-mysql.md"].action == "created"
    assert results["0001-use-postgres.md"].action == "skipped"
    assert "duplicate number 1 (also 0001-use-mysql.md)" in results["0001-use-postgres.md"].line
    assert log.decisions.get().title == "Use MySQL"


def test_non_utf8_bytes_are_read_as_latin1_and_reported(architect):
    text = "# 2. Café décisions\n\n## Status\n\nAccepted\n\n## Context\n\nNaïve.\n".encode(
        "latin-1"
    )
    log, report = _import(architect, [("0002-cafe.md", text), ("0001-use-postgres.md", GOOD)])
    results = _by_name(report)
    assert results["0002-cafe.md"].action == "created"
    assert "not valid UTF-8 (byte 0xe9" in results["0002-cafe.md"].line
    assert log.decisions.get(number=2).title == "Café décisions"
    assert results["0001-use-postgres.md"].action == "created"


def test_nul_bytes_are_removed_with_a_message(architect):
    log, report = _import(architect, [("0001-x.md", GOOD.replace(b"DB.", b"D\x00B."))])
    assert "NUL bytes" in report.results[0].line
    assert log.decisions.get().context == "We need a DB."


def test_a_link_to_a_missing_file_is_reported_and_kept_as_text(architect):
    text = GOOD + b"\n"
    text = text.replace(b"Accepted\n", b"Accepted\n\nSupersedes [7. Gone](0007-gone.md)\n")
    log, report = _import(architect, [("0001-use-postgres.md", text)])
    result = report.results[0]
    assert result.action == "created"
    assert "links to 0007-gone.md, which is neither in the folder nor in the ledger" in result.line
    decision = log.decisions.get()
    assert "Supersedes [7. Gone](0007-gone.md)" in decision.more_information
    assert not DecisionRelation.objects.exists()


def test_statuses_are_read_from_their_leading_word():
    assert map_status("Accepted.") == ("accepted", True)
    assert map_status("Approved") == ("accepted", True)
    assert map_status("Pending") == ("proposed", True)
    assert map_status("Depreciated") == ("deprecated", True)
    assert map_status("on hold") == ("deferred", True)
    assert map_status("Superseded by [ADR-0005](0005-example.md)") == ("superseded", True)
    assert map_status("**Proposed**") == ("proposed", True)
    # A later word that mentions another status never changes it.
    assert map_status("Deprecated (no superseding ADR)") == ("deprecated", False)
    assert map_status("accepted; supersedes ADR-0045") == ("accepted", True)
    assert map_status("Partly superseded") == (None, False)
    assert map_status("Whatever") == (None, False)


def test_an_unknown_or_missing_status_is_a_problem_line_and_the_wording_is_kept(architect):
    unknown = GOOD.replace(b"Accepted", b"Partly superseded")
    missing = GOOD.replace(b"## Status\n\nAccepted\n\n", b"")
    log, report = _import(
        architect, [("0001-use-postgres.md", unknown), ("0002-no-status.md", missing)]
    )
    results = _by_name(report)
    assert "status 'Partly superseded' not recognised" in results["0001-use-postgres.md"].line
    assert "no status; imported as proposed" in results["0002-no-status.md"].line
    first = log.decisions.get(number=1)
    assert first.status == "proposed"
    assert first.source_meta["values"]["status"] == "Partly superseded"
    assert "## Status\n\nPartly superseded\n" in render(first, "nygard")


def test_a_status_that_mentions_superseding_keeps_its_leading_word(architect):
    keeper = GOOD.replace(b"Accepted", b"Deprecated (no superseding ADR)")
    front = b'---\nstatus: "accepted; supersedes ADR-0001"\n---\n# Newer\n\nText.\n'
    log, report = _import(architect, [("0001-use-postgres.md", keeper), ("0002-newer.md", front)])
    assert all(not r.messages for r in report.results), [r.line for r in report.results]
    assert log.decisions.get(number=1).status == "deprecated"
    newer = log.decisions.get(number=2)
    assert newer.status == "accepted"
    # The plain-text ADR-0001 is a relation: exactly one file has that number.
    assert [(r.source.number, r.target.number, r.kind) for r in DecisionRelation.objects.all()] == [
        (2, 1, "supersedes")
    ]
    assert render(newer, "madr").startswith('---\nstatus: "accepted; supersedes ADR-0001"\n---')


def test_missing_dates_headings_in_other_orders_and_gaps_in_numbers(architect):
    text = (
        b"# Use Redis\n\n## Consequences\n\nFaster.\n\n## Decision\n\nWe use Redis.\n\n"
        b"## Status\n\nApproved\n\n## Context\n\nSlow pages.\n\n## Team notes\n\nAsk Bob.\n"
    )
    log, report = _import(architect, [("0001-use-postgres.md", GOOD), ("0005-use-redis.md", text)])
    assert [r.action for r in report.results] == ["created", "created"]
    redis = log.decisions.get(number=5)
    assert redis.status == "accepted"
    assert redis.decided_on is None
    assert redis.outcome_rationale == "We use Redis."
    # Free text says neither good nor bad: it is a neutral consequence.
    assert redis.consequences_neutral == "Faster."
    assert redis.consequences_good == ""
    # An unknown section right after a free-text one stays with it.
    assert redis.context == "Slow pages.\n\n## Team notes\n\nAsk Bob."


def test_madr2_bullets_and_links_become_fields_and_relations(architect):
    first = GOOD
    madr2 = b"""# Use Markdown Any Decision Records

* Status: superseded by [ADR-0001](0001-use-postgres.md)
* Deciders: Oliver, Olaf
* Date: 2018-03-02

Technical Story: see issue 12

## Context and Problem Statement

Which format?

## Considered Options

* MADR 2.1.2
* Formless

## Decision Outcome

Chosen option: "MADR 2.1.2", because it is lean.

### Positive Consequences

* Structured

### Negative Consequences

* Learning curve

## Pros and Cons of the Options

### MADR 2.1.2

* Good, because lean
* Bad, because new

## Links

* Refined by [ADR-0001](0001-use-postgres.md)
* Our wiki page
"""
    log, report = _import(architect, [("0001-use-postgres.md", first), ("0002-madr.md", madr2)])
    assert [r.action for r in report.results] == ["created", "created"], report.results
    d = log.decisions.get(number=2)
    assert d.status == "superseded"
    assert d.deciders == "Oliver, Olaf"
    assert d.decided_on == date(2018, 3, 2)
    assert d.context == "Technical Story: see issue 12\n\nWhich format?"
    assert d.consequences_good == "* Structured"
    assert d.consequences_bad == "* Learning curve"
    assert d.outcome_rationale == "it is lean."
    chosen = d.options.get(chosen=True)
    assert chosen.title == "MADR 2.1.2" and chosen.good == "lean" and chosen.bad == "new"
    assert "Our wiki page" in d.more_information
    kinds = sorted(
        (r.source.number, r.target.number, r.kind) for r in DecisionRelation.objects.all()
    )
    assert kinds == [(1, 2, "amends"), (1, 2, "supersedes")]


def test_log4brains_files_are_numbered_in_order(architect):
    a = (
        b"# Use Log4brains\n\n- Status: accepted\n- Date: 2020-09-28\n- Tags: dev-tools, doc\n\n"
        b"## Context and Problem Statement\n\nDocs.\n"
    )
    b = b"# Use Next.js\n\n- Status: draft\n\n## Context and Problem Statement\n\nUI.\n"
    log, report = _import(
        architect,
        [("20200928-use-log4brains.md", a), ("20201002-use-nextjs.md", b), ("README.md", b"x")],
    )
    assert report.ignored == ["README.md"]
    one, two = log.decisions.order_by("number")
    assert (one.number, one.title, one.status) == (1, "Use Log4brains", "accepted")
    assert sorted(t.name for t in one.tags.all()) == ["dev-tools", "doc"]
    assert (two.number, two.title, two.status) == (2, "Use Next.js", "proposed")


def test_broken_front_matter_is_kept_as_text(architect):
    text = b"---\nstatus: [accepted\n---\n# Title\n\n## Context\n\nX\n"
    adr = parse_adr("0001-t.md", text)
    assert "front matter is not valid YAML" in adr.problems[0]
    assert "status: [accepted" in adr.notes[0]


def test_the_command_exits_non_zero_only_when_nothing_could_be_imported(architect, tmp_path):
    (tmp_path / "0001-empty.md").write_bytes(b"")
    with pytest.raises(CommandError, match="Nothing could be imported"):
        call_command(
            "import_adrs", str(tmp_path), "--log", "CMD", "--create-log", stdout=StringIO()
        )
    # Nothing imported, nothing created: not even the log (issue 13).
    assert not DecisionLog.objects.filter(key="CMD").exists()
    (tmp_path / "0002-use-postgres.md").write_bytes(GOOD)
    out = StringIO()
    call_command("import_adrs", str(tmp_path), "--log", "CMD", "--create-log", stdout=out)
    assert "skipped   0001-empty.md → #1: empty file; skipped" in out.getvalue()
    assert "1 created, 0 updated, 0 unchanged, 1 not imported" in out.getvalue()
    assert Decision.objects.get(log__key="CMD").created_by.username == "ledger-import"
    assert Decision.objects.get(log__key="CMD").source_path.endswith("0002-use-postgres.md")


def test_the_command_refuses_an_unknown_log_without_create_log(tmp_path):
    with pytest.raises(CommandError, match="pass --create-log"):
        call_command("import_adrs", str(tmp_path), "--log", "NOPE", stdout=StringIO())


def test_a_non_architect_user_cannot_import(stakeholder, tmp_path, architect):
    services.log_create(actor=architect, key="ROLE", name="r")
    (tmp_path / "0001-use-postgres.md").write_bytes(GOOD)
    with pytest.raises(CommandError, match="sam: This needs the role: architect"):
        call_command("import_adrs", str(tmp_path), "--log", "ROLE", "--user", "sam")


PIECES = [*"#*-`~:[]()\"' \n\tabcXYZ019.,|>é\x00", "## ", "### ", "---\n", "```\n"]
PIECES += ["* Good, because ", 'Chosen option: "', "Supersedes [1. x](0001-x.md)", "status: "]


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(text=st.lists(st.sampled_from(PIECES), max_size=120).map("".join))
def test_the_parser_never_crashes_on_arbitrary_text(text):
    try:
        adr = parse_adr("0001-fuzz.md", text.encode("utf-8"), fallback_title="Fuzz")
    except UnreadableFile:
        assert not text.replace("\x00", "").strip()
        return
    assert adr.title


def test_a_dry_run_reports_and_saves_nothing(architect, tmp_path):
    services.log_create(actor=architect, key="DRY", name="d")
    (tmp_path / "0001-use-postgres.md").write_bytes(GOOD)
    out = StringIO()
    call_command("import_adrs", str(tmp_path), "--log", "DRY", "--dry-run", stdout=out)
    assert "DRY RUN, nothing saved: 1 created" in out.getvalue()
    assert not Decision.objects.exists()

"""The demo ships as MADR files (adr/demo_data) and loads through the importer: what the
decision pages show after importing them is what the files say."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from adr import demo
from adr.interop.importer import import_files
from adr.interop.parse import parse_adr
from adr.models import Decision, DecisionRelation
from adr.services import log_create

pytestmark = pytest.mark.django_db

CELL = re.compile(r'<td class="score-(\d)">(.*?) <span class="score">(\d)/5</span></td>')


def _import_demo(architect) -> list[tuple[str, str, bytes]]:
    """Every demo file imported into its log; returns (log key, file name, content)."""
    files = []
    for key, name, description in demo.LOGS:
        log = log_create(actor=architect, key=key, name=name, description=description)
        found = demo.demo_files(key)
        report = import_files(files=found, log=log, actor=architect)
        # Relations added to an earlier file count as "updated"; nothing may fail.
        assert {r.action for r in report.results} <= {"created", "updated"}, report.summary()
        files += [(key, file_name, data) for file_name, data in found]
    return files


def _reference(key: str, href: str) -> str:
    """The decision a link in a file names: "../AUTH/0001-x.md" → AUTH-0001."""
    parts = href.split("/")
    folder = parts[-2] if len(parts) >= 2 and parts[-2] != "." else key
    return f"{folder}-{parts[-1][:4]}"


def test_the_demo_files_are_the_case_study_and_its_neighbours():
    names = {key: [n for n, _ in demo.demo_files(key)] for key, _, _ in demo.LOGS}
    assert len(names["AUTH"]) == 4 and len(names["PLAT"]) == 4
    titles = [parse_adr(n, d).title for n, d in demo.demo_files("AUTH")]
    assert demo.CASE_STUDY_TITLE in titles


def test_the_decision_pages_show_what_the_demo_files_say(architect, auditor, login):
    files = _import_demo(architect)
    client = login(auditor)
    for key, name, data in files:
        adr = parse_adr(name, data)
        decision = Decision.objects.get(log__key=key, number=int(name[:4]))
        page = client.get(f"/decisions/{decision.reference}/").content.decode()
        text = html.unescape(page)
        where = f"{decision.reference} ({name})"

        assert decision.title == adr.title and adr.title in text, where
        label = Decision.Status(adr.status).label
        assert f'<span class="state state-{adr.status}">{label}</span>' in page, where

        for number, option in enumerate(adr.options, start=1):
            heading = f"<strong>{number}. {option.title}</strong>"
            assert heading in text, (where, option.title)
            chosen = f'{heading} <span class="badge badge-chosen">chosen</span>'
            assert (chosen in text) == option.chosen, (where, option.title)

        # The matrix (the file's yaml block, as written), cell by cell in page order:
        # (score, text) per criterion, per option.
        want = []
        for criterion in adr.criteria:
            assert criterion["name"] in text, where
            weight = format(Decimal(criterion["weight"]).normalize(), "f")
            assert f'<td class="weight">{weight}</td>' in page, (where, criterion["name"])
            given = {c["option"]: (c["score"], c["text"]) for c in criterion["cells"]}
            want += [given[i + 1] for i in range(len(adr.options))]
        shown = [(int(score), html.unescape(cell)) for score, cell, _ in CELL.findall(page)]
        assert shown == [(score, cell) for score, cell in want], where

        notes = re.findall(r'<section id="sensitivity">.*?</section>', text, re.S)
        assert bool(notes) == bool(adr.sensitivity), where
        for note in adr.sensitivity:
            line = f"<li><strong>{note['condition']}</strong> — {note['consequence']}"
            if note.get("favours"):
                line += f' <span class="badge">favours {adr.options[note["favours"] - 1].title}'
            assert line in notes[0], (where, note["condition"])

        for rel in adr.relations:
            kind = DecisionRelation.Kind(rel.kind)
            label = DecisionRelation.INVERSE_LABEL[kind] if rel.inverse else kind.label
            other = _reference(key, rel.href)
            assert re.search(
                rf'{re.escape(label)} <a href="[^"]+"><code>{re.escape(other)}</code>', page
            ), (where, label, other)


def test_seeding_defers_the_case_study_it_imported(architect):
    demo.seed(users={"alice": architect})
    case = Decision.objects.get(log__key="AUTH", title=demo.CASE_STUDY_TITLE)
    assert case.status == Decision.Status.DEFERRED and case.revisit_by is not None
    assert case.source_file.startswith("0001-")  # it came from its file
    assert case.history.earliest("history_date").history_change_reason.startswith("demo data")

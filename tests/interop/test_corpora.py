"""The Done-when checks of issue 13 on real ADR folders (../shared/corpora, -next).

Round trip: import a folder, export it in both formats, re-import the export: the same
decisions field for field, a second export byte-identical to the first, every file
name kept, every link between ADRs resolving in the exported folder. Line level: every
non-empty line of each original file is found again in the stored decision or its
export; statuses follow the files' leading words; nothing is good or bad unless the
file says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adr import services
from adr.interop.importer import decision_snapshot, import_files, meaning, read_folder
from adr.interop.vocabulary import map_status
from adr.interop.write import decisions_for_export, filename, render
from adr.models import Decision, DecisionRelation

from .conftest import _require, all_corpus_folders, corpus_folders

pytestmark = pytest.mark.django_db

MD_LINK = re.compile(r"\]\((?P<href>[^)\s#]+)(?:#[^)]*)?\)")


def _log(architect, key):
    return services.log_create(actor=architect, key=key, name=key)


def _export(log, fmt) -> dict[str, bytes]:
    return {filename(d): render(d, fmt).encode() for d in decisions_for_export(log)}


def _relations(log):
    return sorted(
        (r.source.number, r.target.number, r.kind, r.note)
        for r in DecisionRelation.objects.filter(source__log=log).select_related("source", "target")
    )


def _local_links(text: str) -> set[str]:
    return {
        m.group("href")
        for m in MD_LINK.finditer(text)
        if "://" not in m.group("href") and m.group("href").endswith(".md")
    }


@pytest.mark.parametrize("fmt", ["madr", "nygard"])
@pytest.mark.parametrize("folder", all_corpus_folders(), ids=lambda p: p.name)
def test_a_real_folder_survives_export_and_reimport(architect, folder: Path, fmt):
    _require(all_corpus_folders())
    files = read_folder(folder)
    source = _log(architect, "SRC")
    report = import_files(files=files, log=source, actor=architect)
    imported = [r.name for r in report.results if r.action == "created"]
    assert imported and len(imported) == len(report.results), [r.line for r in report.results]
    # Every file is accounted for: imported, a template skipped, or not an ADR.
    assert len(imported) + len(report.templates) + len(report.ignored) == len(files)

    first = _export(source, fmt)
    assert sorted(first) == sorted(imported)  # every file name kept

    copy = _log(architect, "COPY")
    again = import_files(files=sorted(first.items()), log=copy, actor=architect)
    assert all(r.action == "created" for r in again.results), [r.line for r in again.results]
    for decision in Decision.objects.filter(log=source):
        twin = Decision.objects.get(log=copy, number=decision.number)
        want, got = meaning(decision_snapshot(decision)), meaning(decision_snapshot(twin))
        for key in want:
            assert got[key] == want[key], (decision.source_file, key)
    assert _relations(source) == _relations(copy)
    assert _export(copy, fmt) == first  # byte-identical

    # Links between ADRs still resolve: a link to a file of the folder (or one the
    # ledger wrote) points at a file of the export.
    originals = {name for name, _ in files}
    for name, data in first.items():
        for href in _local_links(data.decode()):
            target = href.rsplit("/", 1)[-1]
            if "/" in href.lstrip("./") or (target not in originals and target not in first):
                continue  # outside the folder (../README.md, docs/…): not between ADRs
            assert target in first, (name, href)


def _norm(line: str) -> str:
    """A line without its Markdown markers (list, heading, quote), for finding it."""
    line = line.strip()
    line = re.sub(r"^(?:[>#]+\s*|(?:[*+-]|\d+[.)])\s+)+", "", line)
    # MADR's argument lead-in ("Good, …", "Good: …") is syntax: the export writes
    # "Good, because …"; the argument's own text must be kept.
    line = re.sub(r"^(Good|Bad|Neutral)\b\s*[,:]?\s*(?:because\b)?\s*", r"\1, because ", line)
    return re.sub(r"\s+", " ", line).strip()


def _haystack(decision: Decision) -> str:
    import json

    parts = [render(decision, "madr"), render(decision, "nygard"), decision.title]
    snap = decision_snapshot(decision)
    parts.append(json.dumps(snap, default=str, ensure_ascii=False))
    for key, value in snap.items():
        if isinstance(value, str):
            parts.append(value)
    for option in snap["options"]:
        parts += [v for v in option.values() if isinstance(v, str)]
    for chunk in (decision.source_meta or {}).get("front_matter") or []:
        parts.append(chunk[1])
    for _key, line in (decision.source_meta or {}).get("lines") or []:
        parts.append(line)
    return re.sub(r"[ \t]+", " ", "\n".join(parts))


POLARITY = {
    "good": re.compile(
        r"^\s*(?:[*-]\s+Good\b|#+\s*(?:Positive|Good|Pros)\b|\+\s)", re.IGNORECASE | re.MULTILINE
    ),
    "bad": re.compile(
        r"^\s*(?:[*-]\s+Bad\b|#+\s*(?:Negative|Bad|Cons)\b)", re.IGNORECASE | re.MULTILINE
    ),
}


def test_every_line_of_every_file_is_kept_and_statuses_follow_the_leading_word(architect):
    folders = _require(corpus_folders())
    for i, folder in enumerate(folders):
        log = _log(architect, f"LINES{i}")
        report = import_files(files=read_folder(folder), log=log, actor=architect)
        for result in report.results:
            text = (folder / result.name).read_text(encoding="utf-8")
            decision = Decision.objects.get(log=log, number=result.number)
            haystack = _haystack(decision)
            missing = [
                line
                for line in text.split("\n")
                if _norm(line) and _norm(line) not in haystack and line.strip() not in haystack
            ]
            assert not missing, (folder.name, result.name, missing[:5])

            raw = (decision.source_meta.get("values") or {}).get("status")
            if raw is None:
                assert "no status" in result.line, result.line
            else:
                said, _exact = map_status(str(raw))
                if said is None:
                    assert "not recognised" in result.line and decision.status == "proposed"
                elif said == "deferred" and not decision.revisit_by:
                    assert "imported as proposed" in result.line and decision.status == "proposed"
                else:
                    assert decision.status == said, (result.name, raw)
                assert str(raw) in render(decision, "madr") and str(raw) in render(
                    decision, "nygard"
                )

            for polarity in ("good", "bad"):
                if getattr(decision, f"consequences_{polarity}").strip():
                    assert POLARITY[polarity].search(text), (result.name, polarity)

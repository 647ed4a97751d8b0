"""Apply a folder of ADR files to a decision log, through `adr.services`.

Idempotent: a decision is matched on (log, number); a file whose content already
matches its decision is reported "unchanged" and writes nothing (not even a
history row). Each file is applied in its own savepoint, so one bad file never
stops the others. `dry_run=True` runs everything and rolls it back: the preview
of the web upload.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from adr import services
from adr.access import require_log_writer
from adr.models import Decision, DecisionLog, DecisionRelation
from config.accounts.roles import ARCHITECT
from config.errors import error_text

from .apply import Planned, apply_file, choice_for
from .parse import parse_adr
from .parsed import UnreadableFile
from .snapshot import (  # noqa: F401 - decision_snapshot and meaning are used by tests
    OPTION_FIELDS,
    TEXT_FIELDS,
    decision_snapshot,
    meaning,
    parsed_snapshot,
)

# NNNN-slug.md, and adr-NNN-slug.md (a common naming).
NUMBERED = re.compile(r"^(?:adr[-_]?)?(?P<num>\d{1,7})[-_][^/\\]*\.(?:md|markdown)$", re.IGNORECASE)
# 0000-TEMPLATE.md, template.md, adr-template.md: a template, not a decision.
TEMPLATE = re.compile(r"template", re.IGNORECASE)
LOG4BRAINS = re.compile(r"^(?P<day>\d{8})-[^/\\]*\.(?:md|markdown)$", re.IGNORECASE)
SERVICE_USERNAME = "ledger-import"
logger = logging.getLogger(__name__)

TEMPLATE_NOTE = "a template, not a decision; skipped"


@dataclass
class FileResult:
    name: str
    action: str  # created | updated | unchanged | skipped | failed | conflict
    number: int | None = None
    messages: list[str] = field(default_factory=list)
    # A conflict (see conflicts.py): why, and the ledger's decision against the file.
    conflict: list[str] = field(default_factory=list)
    diff: str = ""

    @property
    def line(self) -> str:
        ref = f" → #{self.number}" if self.number is not None else ""
        extra = f": {'; '.join(self.messages)}" if self.messages else ""
        return f"{self.action:9} {self.name}{ref}{extra}"


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_json(self) -> dict:
        return {
            "results": [vars(r) for r in self.results],
            "ignored": self.ignored,
            "templates": self.templates,
            "problems": self.problems,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_json(cls, data: dict) -> ImportReport:
        return cls(
            results=[FileResult(**r) for r in data.get("results", [])],
            ignored=list(data.get("ignored", [])),
            templates=list(data.get("templates", [])),
            problems=list(data.get("problems", [])),
            dry_run=bool(data.get("dry_run")),
        )

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)

    @property
    def conflicts(self) -> list[FileResult]:
        return [r for r in self.results if r.action == "conflict"]

    @property
    def imported(self) -> int:
        return sum(1 for r in self.results if r.action in ("created", "updated", "unchanged"))

    @property
    def problem_count(self) -> int:
        return len(self.problems) + sum(len(r.messages) for r in self.results)

    def summary(self) -> str:
        return (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, "
            f"{self.count('skipped') + self.count('failed')} not imported, "
            + (f"{self.count('conflict')} need a choice, " if self.count("conflict") else "")
            + f"{self.problem_count} problems"
            + (f", {len(self.templates)} templates skipped" if self.templates else "")
            + (f", {len(self.ignored)} other files ignored" if self.ignored else "")
        )


def service_user():
    """The actor for command-line imports when no --user is given."""
    user, created = get_user_model().objects.get_or_create(
        username=SERVICE_USERNAME,
        defaults={"display_name": "Ledger import", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group, _ = Group.objects.get_or_create(name=ARCHITECT)
    user.groups.add(group)
    if hasattr(user, "_ledger_roles"):
        del user._ledger_roles
    return user


def _number_files(names: list[str], report: ImportReport) -> dict[str, int]:
    """File name → number: NNNN-*.md by its prefix; log4brains YYYYMMDD-*.md in order after."""
    numbered: dict[str, int] = {}
    dated: list[str] = []
    for name in sorted(names):
        base = name.rsplit("/", 1)[-1]
        if base.startswith("."):
            report.ignored.append(name)
            continue
        if TEMPLATE.search(base) and base.lower().endswith((".md", ".markdown")):
            report.templates.append(name)
            continue
        m4 = LOG4BRAINS.match(base)
        if m4 and _is_day(m4.group("day")):
            dated.append(name)
            continue
        m = NUMBERED.match(base)
        if m:
            numbered[name] = int(m.group("num"))
        else:
            report.ignored.append(name)
    start = max(numbered.values(), default=0)
    for i, name in enumerate(dated, start=1):
        numbered[name] = start + i
    return numbered


def _is_day(text: str) -> bool:
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return 1900 <= int(text[:4]) <= 2200


def import_files(
    *,
    files: list[tuple[str, bytes]],
    log: DecisionLog,
    actor,
    source_label: str = "",
    dry_run: bool = False,
    change_reason: str = "",
    choices: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import ADR files (name, content) into `log`. Never raises for a bad file.
    `change_reason` (e.g. "git <sha>") leads the history reason of every change.
    A file that would overwrite a decision it may not be about (conflicts.py) is only
    applied with a choice for its name in `choices` ("update", "new" or "skip"; the key
    "*" chooses for all); without one it is reported as a conflict, with a diff."""
    require_log_writer(actor, log)
    report = ImportReport(dry_run=dry_run)
    contents = dict(files)
    numbers = _number_files(list(contents), report)

    # 1. Parse; skip what cannot be read; refuse duplicate numbers.
    planned: list[Planned] = []
    by_number: dict[int, str] = {}
    ordered = sorted(numbers.items(), key=lambda kv: (kv[1], kv[0]))
    for done, (name, number) in enumerate(ordered):
        if progress is not None:
            progress(done, len(ordered))
        base = name.rsplit("/", 1)[-1]
        result = FileResult(name=name, action="skipped", number=number)
        report.results.append(result)
        if number in by_number:
            result.messages.append(f"duplicate number {number} (also {by_number[number]}); skipped")
            continue
        fallback = re.sub(r"^\d+-", "", base.rsplit(".", 1)[0]).replace("-", " ").strip()
        try:
            adr = parse_adr(base, contents[name], fallback_title=fallback.capitalize() or base)
        except UnreadableFile as exc:
            result.messages.append(f"{exc}; skipped")
            continue
        except Exception as exc:  # a parser bug must not stop the other files
            logger.exception("could not parse %s", name)
            result.messages.append(f"could not be read ({exc.__class__.__name__}); skipped")
            continue
        result.messages.extend(adr.problems)
        by_number[number] = name
        planned.append(Planned(name=name, number=number, adr=adr, result=result))

    # 2. Relations: resolve link targets to numbers (this folder first, then the log).
    base_to_number = {n.rsplit("/", 1)[-1]: num for n, num in numbers.items() if num in by_number}
    existing_numbers = set(Decision.objects.filter(log=log).values_list("number", flat=True))
    # Endpoints are (log key, number): a link "../PLAT/0002-x.md" points into another log.
    wanted: dict[tuple[tuple[str, int], tuple[str, int], str], str] = {}
    other_logs = set(DecisionLog.objects.exclude(pk=log.pk).values_list("key", flat=True))
    for plan in planned:
        for rel in plan.adr.relations:
            target = None
            if rel.number is not None:
                # A plain-text reference (ADR-0045): only a number this import or the log
                # has exactly once is a link.
                if rel.number in by_number or rel.number in existing_numbers:
                    target = (log.key, rel.number)
                if target is not None and target != (log.key, plan.number):
                    here = (log.key, plan.number)
                    src, dst = (target, here) if rel.inverse else (here, target)
                    wanted.setdefault((src, dst, rel.kind), rel.note)
                continue
            parts = rel.href.split("#")[0].split("/")
            folder = parts[-2].upper() if len(parts) >= 2 else ""
            m = NUMBERED.match(rel.target_name)
            if folder in other_logs and folder != log.key:
                if (
                    m
                    and Decision.objects.filter(
                        log__key=folder, number=int(m.group("num"))
                    ).exists()
                ):
                    target = (folder, int(m.group("num")))
            elif rel.target_name in base_to_number:
                target = (log.key, base_to_number[rel.target_name])
            elif m and int(m.group("num")) in (set(by_number) | existing_numbers):
                target = (log.key, int(m.group("num")))
            if target is None or target == (log.key, plan.number):
                plan.result.messages.append(
                    f"links to {rel.href}, which is neither in the folder nor in the ledger; "
                    "the link is kept as text"
                )
                plan.adr.notes.append(rel.line.strip())
                continue
            here = (log.key, plan.number)
            src, dst = (target, here) if rel.inverse else (here, target)
            key = (src, dst, rel.kind)
            if not wanted.get(key):
                wanted[key] = rel.note
    # The status is what the file says (its leading word); a relation never changes it.
    for plan in planned:
        if plan.adr.status == "deferred" and not plan.adr.revisit_by:
            plan.result.messages.append(
                "deferred without a revisit-by date: imported as proposed (add a trigger or a "
                "revisit date, then defer it in the ledger)"
            )
            plan.adr.status = "proposed"
        if plan.adr.status_raw:
            # The file's wording is written back while the status is still this one.
            plan.adr.source_meta["status_imported"] = plan.adr.status

    # 3. Apply, each file in its own savepoint; relations last.
    with transaction.atomic():
        decisions: dict[int, Decision] = {}
        for plan in planned:
            try:
                with transaction.atomic():
                    decisions[plan.number] = apply_file(
                        plan,
                        log,
                        actor,
                        source_label,
                        change_reason,
                        choice_for(choices, plan.name),
                        contents[plan.name],
                    )
            except (ValidationError, ValueError, TypeError, DatabaseError) as exc:
                plan.result.action = "failed"
                plan.result.messages.append(f"could not import: {_message(exc)}")

        def resolve(end: tuple[str, int]) -> Decision | None:
            if end[0] == log.key and end[1] in decisions:
                return decisions[end[1]]
            return Decision.objects.filter(log__key=end[0], number=end[1]).first()

        for (src, dst, kind), note in sorted(wanted.items()):
            from_decision, to_decision = resolve(src), resolve(dst)
            if from_decision is None or to_decision is None:
                continue
            if DecisionRelation.objects.filter(
                source=from_decision, target=to_decision, kind=kind
            ).exists():
                continue
            relation_plan = next(
                (p for p in planned if (log.key, p.number) in (src, dst)),
                None,
            )
            if any(
                p.result.action in ("conflict", "skipped")
                for p in planned
                if (log.key, p.number) in (src, dst)
            ):
                continue  # a file left alone brings no relations either
            try:
                with transaction.atomic():
                    services.relation_add(
                        actor=actor,
                        source=from_decision,
                        target=to_decision,
                        kind=kind,
                        note=note[:300],
                        enforce_lifecycle=False,
                        mark_superseded=False,
                    )
            except ValidationError as exc:
                if relation_plan:
                    relation_plan.result.messages.append(f"relation not added: {_message(exc)}")
                continue
            if relation_plan and relation_plan.result.action == "unchanged":
                relation_plan.result.action = "updated"
        if dry_run:
            transaction.set_rollback(True)
    return report


def _message(exc: Exception) -> str:
    return error_text(exc) if isinstance(exc, ValidationError) else str(exc)


def read_folder(path) -> list[tuple[str, bytes]]:
    """Every regular file directly in `path` (no subfolders, no symlinks out)."""
    from pathlib import Path

    folder = Path(path)
    files = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and not entry.is_symlink():
            files.append((entry.name, entry.read_bytes()))
    return files

"""What reading an ADR file yields (`ParsedADR`, `ParsedRelation`) and the readers of
single values the parse steps (parse.py) and the metadata writer (metadata.py) share:
dates, names, tags and relation lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from .sections import ParsedOption
from .vocabulary import CANONICAL_VERBS, RELATION_LINE, RELATION_VERBS


@dataclass
class ParsedRelation:
    kind: str
    inverse: bool
    href: str  # "" for a plain-text reference such as ADR-0045
    note: str = ""
    line: str = ""
    number: int | None = None  # the number a plain-text reference names
    text: str = ""  # the link's text as written

    @property
    def target_name(self) -> str:
        return self.href.split("#")[0].rstrip("/").rsplit("/", 1)[-1]


@dataclass
class ParsedADR:
    filename: str
    title: str = ""
    status: str = "proposed"
    status_raw: str = ""
    decided_on: date | None = None
    revisit_by: date | None = None
    deciders: str = ""
    consulted: str = ""
    informed: str = ""
    context: str = ""
    drivers: str = ""
    outcome_rationale: str = ""
    consequences_good: str = ""
    consequences_bad: str = ""
    consequences_neutral: str = ""
    confirmation: str = ""
    more_information: str = ""
    tags: list[str] = field(default_factory=list)
    options: list[ParsedOption] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    sensitivity: list[dict] = field(default_factory=list)
    relations: list[ParsedRelation] = field(default_factory=list)
    # How the file said it (see write.py): front_matter, lines, values, title_line,
    # options_prose. JSON-safe.
    source_meta: dict = field(default_factory=dict)
    # Things worth telling the person importing (not fatal).
    problems: list[str] = field(default_factory=list)
    # Original text kept because it could not be mapped; appended to more_information.
    notes: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file cannot be imported at all (e.g. it is empty)."""


def parse_date(
    value, problems: list[str] | None, notes: list[str] | None, what: str = "date"
) -> date | None:
    """The date `value` says, or None; an unreadable one is reported to `problems` and
    kept in `notes` when they are given (both or neither)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%Y/%m/%d", "%d.%m.%Y", "%d %B %Y", "%B %d, %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if problems is not None and notes is not None:
        problems.append(f"{what} {text!r} is not a date; kept as text")
        notes.append(f"Original {what}: {text}")
    return None


def names(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v).strip() for v in value if v not in (None, ""))
    return str(value).strip()


def tags(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[,;]", str(value))
    return [t.strip().strip("#").strip() for t in items if t and t.strip().strip("#").strip()]


def relation_from_match(m: re.Match, line: str) -> ParsedRelation:
    verb = re.sub(r"\s+", " ", m.group("verb").lower())
    kind, inverse = RELATION_VERBS[verb]
    note = ((m.groupdict().get("note")) or "").strip()
    if verb not in CANONICAL_VERBS and not note:
        note = verb
    number = int(m.group("num")) if m.group("num") else None
    return ParsedRelation(
        kind=kind,
        inverse=inverse,
        href=m.group("href") or "",
        note=note,
        line=line,
        number=number,
        text=m.group("text") or "",
    )


def relation_from_line(line: str) -> ParsedRelation | None:
    m = RELATION_LINE.match(line)
    return relation_from_match(m, line) if m else None


def finish_more_information(adr: ParsedADR) -> str:
    """more_information with the notes (kept original text) appended."""
    parts = [adr.more_information] if adr.more_information else []
    parts += [n for n in adr.notes if n not in adr.more_information]
    return "\n\n".join(parts).strip()

"""Read one ADR file (MADR 2/3/4, log4brains, Nygard/adr-tools) into a `ParsedADR`.

One lenient parser serves every format: sections are recognised by their heading,
whatever their order; metadata comes from YAML front matter, `* Key: value` bullets
under the title (MADR 2, log4brains) or `Key: value` lines (adr-tools' `Date:`).
Whatever cannot be mapped to a field is kept, as text, in `more_information`:
content is never dropped.

The writers in `write.py` produce exactly what this parser reads back, so that an
import of an export gives the same decision, field for field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

STATUS_SYNONYMS: dict[str, str] = {
    # exact (after lower-casing and trimming punctuation): nothing is lost
    "proposed": "proposed",
    "accepted": "accepted",
    "rejected": "rejected",
    "deferred": "deferred",
    "deprecated": "deprecated",
    "superseded": "superseded",
    "superseded by": "superseded",
    "superceded by": "superseded",
    "superceded": "superseded",
    "approved": "accepted",
    "adopted": "accepted",
    "agreed": "accepted",
    "decided": "accepted",
    "pending": "proposed",
    "draft": "proposed",
    "open": "proposed",
    "depreciated": "deprecated",
    "declined": "rejected",
    "postponed": "deferred",
    "on hold": "deferred",
}
# Looser keywords, in order; the original wording is then kept as a note.
STATUS_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("supersed", "superseded"),
    ("superced", "superseded"),
    ("replaced", "superseded"),
    ("deprecat", "deprecated"),
    ("depreciat", "deprecated"),
    ("obsolete", "deprecated"),
    ("retired", "deprecated"),
    ("reject", "rejected"),
    ("declin", "rejected"),
    ("withdrawn", "rejected"),
    ("defer", "deferred"),
    ("hold", "deferred"),
    ("postpon", "deferred"),
    ("accept", "accepted"),
    ("approv", "accepted"),
    ("propos", "proposed"),
    ("pending", "proposed"),
    ("draft", "proposed"),
    ("review", "proposed"),
    ("progress", "proposed"),
)

RELATION_VERBS: dict[str, tuple[str, bool]] = {
    # verb: (relation kind, inverse — i.e. the linked file is the source)
    "supersedes": ("supersedes", False),
    "superseded by": ("supersedes", True),
    "superceded by": ("supersedes", True),
    "supercedes": ("supersedes", False),
    "amends": ("amends", False),
    "amended by": ("amends", True),
    "refines": ("amends", False),
    "refined by": ("amends", True),
    "clarifies": ("amends", False),
    "clarified by": ("amends", True),
    "extends": ("amends", False),
    "extended by": ("amends", True),
    "relates to": ("relates_to", False),
    "related to": ("relates_to", False),
}
CANONICAL_VERBS = {"supersedes", "superseded by", "amends", "amended by", "relates to"}
_VERB_RE = "|".join(sorted((re.escape(v) for v in RELATION_VERBS), key=len, reverse=True))
RELATION_LINE = re.compile(
    rf"^\s*(?:[*-]\s+)?(?P<verb>{_VERB_RE})\s*:?\s*\[(?P<text>[^\]]*)\]\((?P<href>[^)\s]+)\)"
    r"\s*(?:[—–-]\s*(?P<note>.*?))?\s*$",
    re.IGNORECASE,
)
RELATION_ANYWHERE = re.compile(
    rf"(?P<verb>{_VERB_RE})\s*:?\s*\[(?P<text>[^\]]*)\]\((?P<href>[^)\s]+)\)", re.IGNORECASE
)

META_KEYS = {
    "status": "status",
    "date": "date",
    "deciders": "deciders",
    "decision-makers": "deciders",
    "decision makers": "deciders",
    "decision-maker": "deciders",
    "decision makers(s)": "deciders",
    "consulted": "consulted",
    "informed": "informed",
    "tags": "tags",
    "tag": "tags",
    "category": "tags",
    "categories": "tags",
    "revisit-by": "revisit_by",
    "revisit by": "revisit_by",
}
META_LINE = re.compile(
    r"^\s*(?:[*-]\s+)?(?:\*\*)?(?P<key>[A-Za-z][A-Za-z() -]{1,20}?)(?:\*\*)?\s*:(?:\*\*)?"
    r"\s*(?P<value>.*?)\s*$"
)

SECTION_KEYS = {
    "status": "status",
    "context": "context",
    "context and problem statement": "context",
    "context and problem": "context",
    "problem statement": "context",
    "problem": "context",
    "background": "context",
    "decision drivers": "drivers",
    "drivers": "drivers",
    "decision drivers and constraints": "drivers",
    "considered options": "options",
    "options": "options",
    "options considered": "options",
    "considered alternatives": "options",
    "alternatives": "options",
    "decision outcome": "outcome",
    "decision": "outcome",
    "outcome": "outcome",
    "consequences": "consequences",
    "positive consequences": "cons_good",
    "negative consequences": "cons_bad",
    "good consequences": "cons_good",
    "bad consequences": "cons_bad",
    "confirmation": "confirmation",
    "validation": "confirmation",
    "pros and cons of the options": "pros_cons",
    "pros and cons of the alternatives": "pros_cons",
    "pros and cons": "pros_cons",
    "more information": "more",
    "links": "links",
    "decision matrix": "matrix",
}

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ARGUMENT = re.compile(
    r"^[*-][ \t]+(?P<kind>Good|Neutral|Bad)\b"
    r"(?:[ \t]*,[ \t]*because\b|[ \t]*:|[ \t]*,|[ \t]+because\b)"
    r"[ \t]*(?P<text>.*)$",
    re.IGNORECASE,
)
CHOSEN = re.compile(
    r'^Chosen option:?[ \t]*(?:"(?P<q>[^"\n]+)"|\[(?P<b>[^\]\n]+)\](?!\()|(?P<bare>[^,\n"]+?))'
    r"[ \t]*(?:,[ \t]*because\b|[.,;]|$)",
    re.IGNORECASE,
)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass
class ParsedOption:
    title: str
    description: str = ""
    good: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    findings: str = ""
    verdict: str = ""
    chosen: bool = False

    def as_fields(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "good": "\n".join(self.good),
            "neutral": "\n".join(self.neutral),
            "bad": "\n".join(self.bad),
            "findings": self.findings,
            "verdict": self.verdict,
            "chosen": self.chosen,
        }


@dataclass
class ParsedRelation:
    kind: str
    inverse: bool
    href: str
    note: str = ""
    line: str = ""

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
    confirmation: str = ""
    more_information: str = ""
    tags: list[str] = field(default_factory=list)
    options: list[ParsedOption] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)
    sensitivity: list[dict] = field(default_factory=list)
    relations: list[ParsedRelation] = field(default_factory=list)
    # Things worth telling the person importing (not fatal).
    problems: list[str] = field(default_factory=list)
    # Original text kept because it could not be mapped; appended to more_information.
    notes: list[str] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file cannot be imported at all (e.g. it is empty)."""


# --- helpers -----------------------------------------------------------------------


def decode(name: str, data: bytes, problems: list[str]) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        problems.append(
            f"not valid UTF-8 (byte 0x{bad:02x} at offset {exc.start}); read as Latin-1, "
            "check accented characters"
        )
        text = data.decode("latin-1")
    if "\x00" in text:
        problems.append("contains NUL bytes; they were removed")
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_heading(text: str) -> str:
    text = COMMENT.sub("", text)
    text = LINK.sub(r"\1", text)
    text = text.strip().strip("*_`").strip()
    text = re.sub(r"^\d+(\.\d+)*\.?\s+", "", text)
    text = text.rstrip(":").strip().lower()
    return re.sub(r"\s+", " ", text)


def plain(text: str) -> str:
    """Text without Markdown links/emphasis, lower-cased: for matching names."""
    text = LINK.sub(r"\1", text)
    text = re.sub(r"[*_`\"']", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _strip_block(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


# Free-text sections: a heading the parser does not know, right after one of these,
# belongs to it (a field's own Markdown may have headings: they must come back).
STICKY = {"context", "drivers", "outcome", "consequences", "cons_good", "cons_bad"}
STICKY |= {"confirmation", "more", "pros_cons"}


def stick(sections, key_of) -> list[tuple[str | None, str, list[str], str]]:
    """(key, heading, body, raw heading line) per section; an unknown one right after a
    sticky one joins it, heading line and all."""
    out: list[tuple[str | None, str, list[str], str]] = []
    for heading, body, raw in sections:
        key = key_of(heading)
        if key is None and out and out[-1][0] in STICKY:
            out[-1][2].extend([raw, *body])
            continue
        out.append((key, heading, list(body), raw))
    return out


def _key(heading: str) -> str | None:
    return SECTION_KEYS.get(normalise_heading(heading))


def split_sections(
    lines: list[str], level: int, *, exact: bool = False
) -> tuple[list[str], list[tuple[str, list[str], str]]]:
    """Split at headings of `level` (or higher; only `level` if `exact`), ignoring fenced
    code blocks. Each section is (heading text, body lines, the heading line as written)."""
    preamble: list[str] = []
    sections: list[tuple[str, list[str], str]] = []
    fence: str | None = None
    current = preamble
    for line in lines:
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        if fence is None and not m:
            h = HEADING.match(line)
            if h and (len(h.group(1)) == level if exact else len(h.group(1)) <= level):
                current = []
                sections.append((h.group(2), current, line))
                continue
        current.append(line)
    return preamble, sections


def parse_date(value, problems: list[str], notes: list[str], what: str = "date") -> date | None:
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
    problems.append(f"{what} {text!r} is not a date; kept as text")
    notes.append(f"Original {what}: {text}")
    return None


def map_status(raw: str) -> tuple[str | None, bool]:
    """(status, exact). `exact` is False when the original wording says more than the status."""
    text = LINK.sub("", raw)
    text = re.sub(r"[*_`]", "", text).strip().strip(".!\"'").strip().lower()
    text = re.sub(r"\s+", " ", text)
    if not text:
        return None, True
    if text in STATUS_SYNONYMS:
        return STATUS_SYNONYMS[text], True
    for word, status in STATUS_KEYWORDS:
        if word in text:
            return status, False
    return None, False


def _names(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v).strip() for v in value if v not in (None, ""))
    return str(value).strip()


def _tags(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[,;]", str(value))
    return [t.strip().strip("#").strip() for t in items if t and t.strip().strip("#").strip()]


def relation_from_line(line: str) -> ParsedRelation | None:
    m = RELATION_LINE.match(line)
    if not m:
        return None
    verb = re.sub(r"\s+", " ", m.group("verb").lower())
    kind, inverse = RELATION_VERBS[verb]
    note = (m.group("note") or "").strip()
    if verb not in CANONICAL_VERBS and not note:
        note = verb
    return ParsedRelation(kind=kind, inverse=inverse, href=m.group("href"), note=note, line=line)


# --- the parser --------------------------------------------------------------------


def parse_adr(name: str, data: bytes, *, fallback_title: str = "") -> ParsedADR:
    adr = ParsedADR(filename=name)
    text = decode(name, data, adr.problems)
    if not text.strip():
        raise UnreadableFile("empty file")
    lines = text.split("\n")
    meta: dict = {}
    meta_notes: list[str] = []

    # 1. YAML front matter.
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            block = "\n".join(lines[1:end])
            try:
                loaded = yaml.safe_load(block) if block.strip() else {}
            except yaml.YAMLError as exc:
                adr.problems.append(f"front matter is not valid YAML ({exc.__class__.__name__})")
                adr.notes.append(
                    "Front matter that could not be read:\n\n```yaml\n" + block + "\n```"
                )
                loaded = {}
            if not isinstance(loaded, dict):
                adr.notes.append("Front matter:\n\n```yaml\n" + block + "\n```")
                loaded = {}
            unknown = {}
            for key, value in loaded.items():
                mapped = META_KEYS.get(str(key).strip().lower())
                if mapped:
                    meta[mapped] = value
                else:
                    unknown[key] = value
            if unknown:
                dumped = yaml.safe_dump(
                    unknown, sort_keys=False, allow_unicode=True, default_flow_style=False
                ).strip()
                meta_notes.append(
                    "Front matter kept from the original file:\n\n```yaml\n" + dumped + "\n```"
                )
            lines = lines[end + 1 :]

    # 2. Title: the first level-1 heading outside code fences.
    before, h1_sections = split_sections(lines, 1)
    title_line = None
    if h1_sections:
        title_line, body = h1_sections[0][0], h1_sections[0][1]
        rest = before + body
        for _heading, extra, raw in h1_sections[1:]:
            rest += [raw, *extra]
    else:
        rest = lines
    preamble, sections = split_sections(rest, 2)
    if title_line is not None:
        adr.title = re.sub(r"^(?:ADR[-\s]?)?\d+[.:)]?\s+(?:[-–—:]\s+)?", "", title_line.strip())
        adr.title = COMMENT.sub("", adr.title).strip() or title_line.strip()
        if not adr.title:
            adr.title = fallback_title
            adr.problems.append("empty title heading; the title comes from the file name")
    else:
        adr.title = fallback_title
        if sections:
            adr.problems.append("no title heading; the title comes from the file name")
    if not sections and title_line is None:
        adr.problems.append("no headings; the whole text is kept as the context")

    # 3. Metadata lines under the title (MADR 2 / log4brains bullets, adr-tools' Date:).
    leftover_preamble: list[str] = []
    for line in preamble:
        m = META_LINE.match(line)
        key = m and META_KEYS.get(m.group("key").strip().lower())
        if key and key not in meta:
            meta[key] = m.group("value")
            continue
        relation = relation_from_line(line)
        if relation:
            adr.relations.append(relation)
            continue
        leftover_preamble.append(line)

    # 4. Sections.
    status_texts: list[str] = []
    context_parts: list[str] = [_strip_block(leftover_preamble)]
    more_parts: list[str] = []
    leftovers: list[str] = []
    option_titles: list[tuple[str, list[str]]] = []
    pros_cons: list[tuple[str, list[str], str]] = []
    outcome_lines: list[str] = []
    good_parts: list[str] = []
    bad_parts: list[str] = []
    drivers_parts: list[str] = []
    confirmation_parts: list[str] = []

    for key, heading, body, _raw in stick(sections, _key):
        block = _strip_block(body)
        if key == "status":
            kept = []
            for line in body:
                relation = relation_from_line(line)
                if relation:
                    adr.relations.append(relation)
                elif line.strip():
                    kept.append(line)
            if kept:
                status_texts.append(kept[0].strip())
                if len(kept) > 1:
                    leftovers.append("### Status\n\n" + _strip_block(kept[1:]))
        elif key == "context":
            context_parts.append(block)
        elif key == "drivers":
            drivers_parts.append(block)
        elif key == "options":
            option_titles.extend(_option_list(body, leftovers, heading))
        elif key == "outcome":
            sub_pre, subs = split_sections(body, 3)
            outcome_lines.extend(sub_pre)
            for sub_key, _sub_heading, sub_body, sub_raw in stick(subs, _key):
                if sub_key == "consequences":
                    g, b = _consequences(sub_body)
                    good_parts.append(g)
                    bad_parts.append(b)
                elif sub_key == "cons_good":
                    good_parts.append(_strip_block(sub_body))
                elif sub_key == "cons_bad":
                    bad_parts.append(_strip_block(sub_body))
                elif sub_key == "confirmation":
                    confirmation_parts.append(_strip_block(sub_body))
                elif sub_key == "more":
                    more_parts.append(_strip_block(sub_body))
                else:
                    outcome_lines.extend([sub_raw, *sub_body])
        elif key == "consequences":
            g, b = _consequences(body)
            good_parts.append(g)
            bad_parts.append(b)
        elif key == "cons_good":
            good_parts.append(block)
        elif key == "cons_bad":
            bad_parts.append(block)
        elif key == "confirmation":
            confirmation_parts.append(block)
        elif key == "pros_cons":
            # Only level-3 headings start an option: an option's own Markdown may hold others.
            sub_pre, subs = split_sections(body, 3, exact=True)
            if _strip_block(sub_pre):
                leftovers.append(f"### {heading}\n\n" + _strip_block(sub_pre))
            pros_cons.extend(subs)
        elif key == "more":
            more_parts.append(block)
        elif key == "links":
            kept = []
            for line in body:
                relation = relation_from_line(line)
                if relation:
                    adr.relations.append(relation)
                else:
                    kept.append(line)
            if _strip_block(kept):
                leftovers.append(f"### {heading}\n\n" + _strip_block(kept))
        elif key == "matrix":
            _matrix(adr, heading, body, leftovers)
        else:
            leftovers.append(f"### {heading}" + ("\n\n" + block if block else ""))

    if not sections and title_line is None:
        context_parts = [_strip_block(lines)]

    adr.context = "\n\n".join(p for p in context_parts if p.strip()).strip()
    adr.drivers = "\n\n".join(p for p in drivers_parts if p.strip()).strip()
    adr.consequences_good = "\n\n".join(p for p in good_parts if p.strip()).strip()
    adr.consequences_bad = "\n\n".join(p for p in bad_parts if p.strip()).strip()
    adr.confirmation = "\n\n".join(p for p in confirmation_parts if p.strip()).strip()

    # 5. Options: the list, then the pros and cons (matched by name), then the chosen one.
    _build_options(adr, option_titles, pros_cons)
    adr.outcome_rationale = _outcome(adr, _strip_block(outcome_lines))

    # 6. Metadata values.
    raw_status = meta.get("status")
    if raw_status is None and status_texts:
        raw_status = status_texts[0]
    if raw_status is not None and not isinstance(raw_status, str):
        raw_status = str(raw_status)
    if raw_status:
        for m in RELATION_ANYWHERE.finditer(raw_status):
            relation = relation_from_line(m.group(0))
            if relation:
                adr.relations.append(relation)
        adr.status_raw = raw_status.strip()
        status, exact = map_status(raw_status)
        if status is None:
            adr.problems.append(f"status {raw_status!r} not recognised; imported as proposed")
            status = "proposed"
        if not exact:
            adr.notes.append(f"Original status: {raw_status.strip()}")
        adr.status = status
    elif any(r.kind == "supersedes" and r.inverse for r in adr.relations):
        adr.status = "superseded"
    adr.decided_on = parse_date(meta.get("date"), adr.problems, adr.notes)
    adr.revisit_by = parse_date(meta.get("revisit_by"), adr.problems, adr.notes, "revisit-by date")
    adr.deciders = _names(meta.get("deciders"))
    adr.consulted = _names(meta.get("consulted"))
    adr.informed = _names(meta.get("informed"))
    adr.tags = _tags(meta.get("tags"))

    adr.notes.extend(meta_notes)
    more = [p for p in more_parts if p.strip()] + leftovers
    adr.more_information = "\n\n".join(more).strip()
    return adr


def finish_more_information(adr: ParsedADR) -> str:
    """more_information with the notes (kept original text) appended."""
    parts = [adr.more_information] if adr.more_information else []
    parts += [n for n in adr.notes if n not in adr.more_information]
    return "\n\n".join(parts).strip()


def _option_list(
    body: list[str], leftovers: list[str], heading: str
) -> list[tuple[str, list[str]]]:
    """Top-level bullets are option titles; indented lines under one belong to it."""
    items: list[tuple[str, list[str]]] = []
    other: list[str] = []
    for line in body:
        m = re.match(r"^[-*+][ \t]+(.*)$", line) or re.match(r"^\d+[.)][ \t]+(.*)$", line)
        if m:
            items.append((m.group(1).strip(), []))
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1][1].append(line.strip())
        elif line.strip():
            other.append(line)
    if other:
        leftovers.append(f"### {heading}\n\n" + _strip_block(other))
    return items


def _consequences(body: list[str]) -> tuple[str, str]:
    """(good, bad) from a consequences block: `* Good, because …` bullets, subsections
    ('Positive/Negative consequences', 'Good', 'Bad'), or free text (kept as good)."""
    pre, subs = split_sections(body, 4)
    good: list[str] = []
    bad: list[str] = []
    target = None
    for line in pre:
        m = ARGUMENT.match(line)
        if m:
            kind = m.group("kind").lower()
            target = bad if kind == "bad" else good
            prefix = "* " if kind != "neutral" else "* Neutral, because "
            target.append(prefix + m.group("text").strip())
        elif target is not None and line.startswith((" ", "\t")) and line.strip():
            target[-1] += " " + line.strip()
        else:
            target = None
            good.append(line)

    def sub_key(heading: str) -> str | None:
        key = normalise_heading(heading)
        if key in ("positive consequences", "good", "good consequences", "positive"):
            return "cons_good"
        if key in ("negative consequences", "bad", "bad consequences", "negative"):
            return "cons_bad"
        return None

    good_chunks, bad_chunks = [good], [bad]
    for key, _heading, sub_body, raw in stick(subs, sub_key):
        if key == "cons_good":
            good_chunks.append(sub_body)
        elif key == "cons_bad":
            bad_chunks.append(sub_body)
        else:  # an unknown heading before any known one: free text, kept as written
            good.extend([raw, *sub_body])
    good_text = "\n\n".join(t for t in (_strip_block(c) for c in good_chunks) if t)
    bad_text = "\n\n".join(t for t in (_strip_block(c) for c in bad_chunks) if t)
    return good_text.strip(), bad_text.strip()


def _option_body(option: ParsedOption, body: list[str]) -> None:
    """Arguments (`* Good, because …`) anywhere outside code fences, a `Verdict:` line,
    an `#### Implementation findings` subsection; everything else is the description."""
    description: list[str] = []
    verdict_at: list[int] = []
    findings: list[str] | None = None
    current: list[str] | None = None
    fence: str | None = None
    for line in body:
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * 3
            elif m.group(1).startswith(fence):
                fence = None
        if fence is None and not m:
            h = HEADING.match(line)
            if h and len(h.group(1)) >= 4:
                current = None
                if findings is None and normalise_heading(h.group(2)) in (
                    "implementation findings",
                    "findings",
                ):
                    findings = []
                    continue
            if findings is not None:
                findings.append(line)
                continue
            a = ARGUMENT.match(line)
            if a:
                kind = a.group("kind").lower()
                current = {"good": option.good, "neutral": option.neutral, "bad": option.bad}[kind]
                current.append(a.group("text").strip())
                continue
            if current is not None and line.startswith((" ", "\t")) and line.strip():
                current[-1] = (current[-1] + " " + line.strip()).strip()
                continue
            current = None
            if re.match(r"^Verdict:[ \t]*(.*)$", line):
                verdict_at.append(len(description))
        elif findings is not None:
            findings.append(line)
            continue
        description.append(line)
    if findings is not None:
        option.findings = _strip_block(findings).strip()
    if verdict_at:
        # The last `Verdict:` line is the verdict (writers put it after the arguments);
        # earlier ones belong to the description.
        option.verdict = description.pop(verdict_at[-1]).split(":", 1)[1].strip()
    option.description = _strip_block(description).strip()


def _names_option(heading: str, titles: list[str]) -> bool:
    """Does an h3 under Pros and Cons name one of the listed options?"""
    name = plain(heading)
    return any(
        heading.strip() == t
        or plain(t) == name
        or plain(t).startswith(name)
        or name.startswith(plain(t))
        for t in titles
    )


def _build_options(adr: ParsedADR, listed, subsections) -> None:
    # When options are listed, an h3 that names none of them is part of the option above
    # (an option's description may have its own headings).
    titles = [title for title, _extra in listed]
    pros_cons: list[tuple[str, list[str]]] = []
    for heading, body, raw in subsections:
        if titles and pros_cons and not _names_option(heading, titles):
            pros_cons[-1][1].extend([raw, *body])
            continue
        pros_cons.append((heading, list(body)))
    options: list[ParsedOption] = []
    for title, extra in listed:
        opt = ParsedOption(title=title)
        if extra:
            opt.description = "\n".join(extra)
        options.append(opt)
    for heading, body in pros_cons:
        title = heading.strip()
        match = next((o for o in options if o.title == title), None)
        if match is None:
            match = next((o for o in options if plain(o.title) == plain(title)), None)
        if match is None:
            match = next(
                (
                    o
                    for o in options
                    if plain(o.title).startswith(plain(title))
                    or plain(title).startswith(plain(o.title))
                ),
                None,
            )
        if match is None or match.good or match.bad or match.neutral or match.findings:
            match = ParsedOption(title=title)
            options.append(match)
        before = match.description
        _option_body(match, body)
        if before:
            match.description = (before + "\n\n" + match.description).strip()
    adr.options = options


def _outcome(adr: ParsedADR, text: str) -> str:
    if not adr.options:
        return text
    # Exact title first (titles may contain quotes, e.g. '"Confirmation"').
    for option in sorted(adr.options, key=lambda o: len(o.title), reverse=True):
        exact = re.match(
            r'Chosen option:?[ \t]*"'
            + re.escape(option.title)
            + r'"[ \t]*(?:,[ \t]*because\b|[.,;]|$)',
            text,
            re.IGNORECASE,
        )
        if exact:
            option.chosen = True
            return text[exact.end() :].strip()
    m = CHOSEN.match(text)
    if not m:
        return text
    name = (m.group("q") or m.group("b") or m.group("bare") or "").strip()
    chosen = next((o for o in adr.options if o.title == name), None)
    if chosen is None:
        chosen = next((o for o in adr.options if plain(o.title) == plain(name)), None)
    if chosen is None:
        candidates = [
            o
            for o in adr.options
            if plain(o.title).startswith(plain(name)) or plain(name) in plain(o.title)
        ]
        chosen = candidates[0] if len(candidates) == 1 else None
    if chosen is None:
        adr.problems.append(f"chosen option {name!r} is not among the considered options")
        return text
    chosen.chosen = True
    return text[m.end() :].strip()


def _matrix(adr: ParsedADR, heading: str, body: list[str], leftovers: list[str]) -> None:
    text = _strip_block(body)
    m = re.search(r"```ya?ml\n(.*?)\n```", text, re.DOTALL)
    data = None
    if m:
        try:
            data = yaml.safe_load(m.group(1))
        except yaml.YAMLError:
            data = None
    if not isinstance(data, dict):
        leftovers.append(f"### {heading}\n\n{text}")
        return
    criteria = data.get("criteria") or []
    notes = data.get("sensitivity") or []
    if not isinstance(criteria, list) or not isinstance(notes, list):
        leftovers.append(f"### {heading}\n\n{text}")
        return
    adr.criteria = [c for c in criteria if isinstance(c, dict) and c.get("name")]
    adr.sensitivity = [n for n in notes if isinstance(n, dict) and n.get("condition")]
    rest = (text[: m.start()] + text[m.end() :]).strip()
    rest = rest.replace(MATRIX_INTRO, "").strip()
    if rest:
        leftovers.append(f"### {heading}\n\n{rest}")


MATRIX_INTRO = (
    "The decision matrix and sensitivity notes, as Decision Ledger keeps them "
    "(options are numbered as listed under Considered Options)."
)

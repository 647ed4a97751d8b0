"""Read one ADR file (MADR 2/3/4, log4brains, Nygard/adr-tools) into a `ParsedADR`.

One lenient parser serves every format, in named steps: front matter, title,
metadata lines under the title, sections (recognised by their heading, whatever
their order), then metadata values. What the ledger has no field for is kept:
unknown front matter, the verbatim text of every metadata value, prose between
listed options — in `source_meta`, which the writers in `write.py` use to write the
file back as it came. Text that fits no field goes to `more_information`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from . import frontmatter
from .markdown import (
    COMMENT,
    decode,
    plain_title,
    split_sections,
    stick,
    strip_block,
)
from .parsed import (
    ParsedADR,
    UnreadableFile,
    names,
    parse_date,
    relation_from_line,
    relation_from_match,
    tags,
)
from .sections import (
    MATRIX_INTRO,
    ParsedOption,
    build_options,
    chosen_outcome,
    consequences,
    matrix,
    options_section,
)
from .vocabulary import (
    META_KEYS,
    META_LINE,
    RELATION_ANYWHERE,
    STICKY,
    TITLE_PREFIX,
    map_status,
    section_key,
)

__all__ = ["MATRIX_INTRO", "ParsedADR", "ParsedOption", "UnreadableFile", "map_status"]


# --- the steps ---------------------------------------------------------------------


def _front_matter(adr: ParsedADR, lines: list[str], meta: dict) -> list[str]:
    block, body = frontmatter.split(lines)
    if block is None:
        return lines
    try:
        loaded = frontmatter.load(block)
    except yaml.YAMLError as exc:
        adr.problems.append(f"front matter is not valid YAML ({exc.__class__.__name__})")
        adr.notes.append(
            "Front matter that could not be read:\n\n```yaml\n" + "\n".join(block) + "\n```"
        )
        return body
    except ValueError:
        adr.notes.append("Front matter:\n\n```yaml\n" + "\n".join(block) + "\n```")
        return body
    adr.source_meta["front_matter"] = frontmatter.chunks(block)
    values = adr.source_meta.setdefault("values", {})
    for key, value in loaded.items():
        mapped = META_KEYS.get(str(key).strip().lower())
        if mapped and mapped not in meta:
            meta[mapped] = value
            values[mapped] = frontmatter.as_text(value)
    return body


def _title(adr: ParsedADR, lines: list[str], fallback: str) -> tuple[str | None, list[str]]:
    """The first level-1 heading outside code fences; the other lines in order."""
    before, h1_sections = split_sections(lines, 1)
    if not h1_sections:
        adr.title = fallback
        return None, lines
    title_line, body = h1_sections[0][0], h1_sections[0][1]
    rest = before + body
    for _heading, extra, raw in h1_sections[1:]:
        rest += [raw, *extra]
    title = plain_title(TITLE_PREFIX.sub("", title_line.strip())) or plain_title(title_line)
    if not title:
        adr.title = fallback
        adr.problems.append("empty title heading; the title comes from the file name")
    else:
        adr.title = title
    if title_line.strip() != adr.title:
        adr.source_meta["title_line"] = title_line.strip()
    return title_line, rest


def _meta_lines(adr: ParsedADR, preamble: list[str], meta: dict) -> list[str]:
    """`* Status: accepted` (MADR 2, log4brains) and `Date: …` (adr-tools) lines; the
    other lines are returned."""
    kept: list[str] = []
    found: list[list[str]] = []
    values = adr.source_meta.setdefault("values", {})
    for line in preamble:
        m = META_LINE.match(line)
        key = META_KEYS.get(m.group("key").strip().lower()) if m else None
        if m and key and key not in meta:
            meta[key] = m.group("value")
            values[key] = m.group("value")
            found.append([key, line])
            continue
        if m and key and _agrees(key, meta[key], m.group("value")):
            found.append([key, line])  # says again what the front matter says
            continue
        relation = relation_from_line(line)
        if relation:
            adr.relations.append(relation)
            continue
        kept.append(line)
    if found:
        adr.source_meta["lines"] = found
    return kept


def _agrees(key: str, first, second: str) -> bool:
    if key == "status":
        return map_status(str(first))[0] == map_status(second)[0] is not None
    if key in ("date", "revisit_by"):
        return parse_date(first, None, None) == parse_date(second, None, None) is not None
    if key == "tags":
        return sorted(tags(first)) == sorted(tags(second))
    return names(first) == names(second)


@dataclass
class _Parts:
    status: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    good: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    confirmation: list[str] = field(default_factory=list)
    more: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    listed: list[tuple[str, str]] = field(default_factory=list)
    option_subsections: list = field(default_factory=list)

    @staticmethod
    def joined(parts: list[str]) -> str:
        return "\n\n".join(p for p in parts if p.strip()).strip()


def _consequences_into(parts: _Parts, body: list[str], meta: dict) -> None:
    good, bad, neutral = consequences(body, meta)
    parts.good.append(good)
    parts.bad.append(bad)
    parts.neutral.append(neutral)


def _relations_from(adr: ParsedADR, body: list[str]) -> list[str]:
    kept = []
    for line in body:
        relation = relation_from_line(line)
        if relation:
            adr.relations.append(relation)
        else:
            kept.append(line)
    return kept


def _sections(adr: ParsedADR, sections, parts: _Parts) -> None:
    for key, heading, body, raw in stick(sections, section_key, STICKY):
        block = strip_block(body)
        if key is not None and key not in ("matrix",):
            # The file's wording of a known heading ("Considered Alternatives").
            adr.source_meta.setdefault("headings", {}).setdefault(key, heading.strip())
        if key == "status":
            text = strip_block(_relations_from(adr, body)).strip()
            if text:
                parts.status.append(text)
        elif key == "context":
            parts.context.append(block)
        elif key == "drivers":
            parts.drivers.append(block)
        elif key == "options":
            options = options_section(body)
            parts.listed.extend(options.listed)
            parts.option_subsections.extend(options.subsections)
            if options.prose:
                adr.source_meta.setdefault("options_prose", []).extend(options.prose)
        elif key == "outcome":
            _outcome_section(parts, body, adr.source_meta)
        elif key == "consequences":
            _consequences_into(parts, body, adr.source_meta)
        elif key == "cons_good":
            parts.good.append(block)
        elif key == "cons_bad":
            parts.bad.append(block)
        elif key == "cons_neutral":
            parts.neutral.append(block)
        elif key == "confirmation":
            parts.confirmation.append(block)
        elif key == "pros_cons":
            # Only level-3 headings start an option: an option's own Markdown may hold others.
            sub_pre, subs = split_sections(body, 3, exact=True)
            if strip_block(sub_pre).strip():
                parts.leftovers.append(f"{raw}\n\n" + strip_block(sub_pre))
            parts.option_subsections.extend(subs)
        elif key == "more":
            parts.more.append(block)
        elif key == "links":
            kept = strip_block(_relations_from(adr, body))
            if kept.strip():
                parts.leftovers.append(f"{raw}\n\n{kept}")
        elif key == "matrix":
            found = matrix(block)
            if found is None:
                parts.leftovers.append(f"{raw}\n\n{block}")
            else:
                adr.criteria, adr.sensitivity, rest = found
                if rest:
                    parts.leftovers.append(f"{raw}\n\n{rest}")
        else:
            parts.leftovers.append(raw + ("\n\n" + block if block.strip() else ""))


def _outcome_section(parts: _Parts, body: list[str], meta: dict) -> None:
    sub_pre, subs = split_sections(body, 3)
    parts.outcome.extend(sub_pre)
    for sub_key, heading, sub_body, sub_raw in stick(subs, section_key, STICKY):
        if sub_key in ("cons_good", "cons_bad", "cons_neutral"):
            meta.setdefault("headings", {}).setdefault(sub_key, heading.strip())
        if sub_key == "consequences":
            _consequences_into(parts, sub_body, meta)
        elif sub_key == "cons_good":
            parts.good.append(strip_block(sub_body))
        elif sub_key == "cons_bad":
            parts.bad.append(strip_block(sub_body))
        elif sub_key == "cons_neutral":
            parts.neutral.append(strip_block(sub_body))
        elif sub_key == "confirmation":
            parts.confirmation.append(strip_block(sub_body))
        elif sub_key == "more":
            parts.more.append(strip_block(sub_body))
        else:
            parts.outcome.extend([sub_raw, *sub_body])


def _status(adr: ParsedADR, raw_status) -> None:
    if raw_status is not None and not isinstance(raw_status, str):
        raw_status = str(raw_status)
    if not raw_status or not raw_status.strip():
        if any(r.kind == "supersedes" and r.inverse for r in adr.relations):
            adr.status = "superseded"
            adr.problems.append("no status; imported as superseded (another file supersedes it)")
        else:
            adr.problems.append("no status; imported as proposed")
        return
    adr.status_raw = raw_status.strip()
    for m in RELATION_ANYWHERE.finditer(COMMENT.sub("", raw_status)):
        adr.relations.append(relation_from_match(m, m.group(0)))
    status, _exact = map_status(raw_status)
    if status is None:
        first = adr.status_raw.split("\n", 1)[0][:80]
        adr.problems.append(
            f"status {first!r} not recognised (its first word is not a status); "
            "imported as proposed"
        )
        status = "proposed"
    adr.status = status


def _values(adr: ParsedADR, meta: dict, status_text: str) -> None:
    raw_status = meta.get("status")
    if raw_status is None and status_text:
        raw_status = status_text
        adr.source_meta.setdefault("values", {})["status"] = status_text
    _status(adr, raw_status)
    adr.decided_on = parse_date(meta.get("date"), adr.problems, adr.notes)
    adr.revisit_by = parse_date(meta.get("revisit_by"), adr.problems, adr.notes, "revisit-by date")
    adr.deciders = names(meta.get("deciders"))
    adr.consulted = names(meta.get("consulted"))
    adr.informed = names(meta.get("informed"))
    adr.tags = tags(meta.get("tags"))
    for tag in adr.tags:
        if len(tag) > 50:
            adr.problems.append(
                f"tag {tag[:20]!r}… is longer than 50 characters: the ledger keeps it cut, "
                "the file keeps it whole"
            )
    if not adr.source_meta.get("values"):
        adr.source_meta.pop("values", None)


# --- the parser --------------------------------------------------------------------


def parse_adr(name: str, data: bytes, *, fallback_title: str = "") -> ParsedADR:
    adr = ParsedADR(filename=name)
    text = decode(data, adr.problems)
    if not text.strip():
        raise UnreadableFile("empty file")
    meta: dict = {}
    lines = _front_matter(adr, text.split("\n"), meta)
    title_line, rest = _title(adr, lines, fallback_title)
    preamble, sections = split_sections(rest, 2)
    if title_line is None and sections:
        adr.problems.append("no title heading; the title comes from the file name")
    if not sections and title_line is None:
        adr.problems.append("no headings; the whole text is kept as the context")
    parts = _Parts()
    parts.context.append(strip_block(_meta_lines(adr, preamble, meta)))
    _sections(adr, sections, parts)
    if not sections and title_line is None:
        parts.context = [strip_block(rest)]

    adr.context = parts.joined(parts.context)
    adr.drivers = parts.joined(parts.drivers)
    adr.consequences_good = parts.joined(parts.good)
    adr.consequences_bad = parts.joined(parts.bad)
    adr.consequences_neutral = parts.joined(parts.neutral)
    adr.confirmation = parts.joined(parts.confirmation)
    adr.options = build_options(
        parts.listed, parts.option_subsections, adr.problems, adr.source_meta
    )
    adr.outcome_rationale = chosen_outcome(
        adr.options, strip_block(parts.outcome), adr.problems, adr.source_meta
    )
    _values(adr, meta, parts.status[0] if parts.status else "")
    if len(parts.status) > 1:
        parts.leftovers.append("## Status\n\n" + "\n\n".join(parts.status[1:]))
    adr.more_information = parts.joined([*parts.more, *parts.leftovers])
    texts = {r.target_name: r.text for r in adr.relations if r.href and r.text}
    if texts:
        adr.source_meta["link_texts"] = texts  # written back with the relation lines
    return adr

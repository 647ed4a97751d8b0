"""The structured sections of an ADR: options, their arguments, the outcome,
consequences and the decision matrix.

Polarity (good / bad) is only ever taken from what the file says — `* Good, because`,
`+`/`-` pro/con bullets, a *Positive/Negative consequences* heading; everything else
is kept, in order, as neutral text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .markdown import (
    BULLET,
    HEADING,
    Section,
    dedent,
    normalise_heading,
    outside_fences,
    plain,
    split_sections,
    strip_block,
)
from .vocabulary import POLARITY_HEADINGS

ARGUMENT = re.compile(
    r"^[*-][ \t]+(?P<kind>Good|Neutral|Bad)\b"
    r"(?:[ \t]*,[ \t]*because\b|[ \t]*:|[ \t]*,|[ \t]+because\b)"
    r"[ \t]*(?P<text>.*)$",
    re.IGNORECASE,
)
PRO_CON = re.compile(r"^(?P<sign>[+-])[ \t]+(?P<text>\S.*)$")
CHOSEN = re.compile(
    r'^Chosen option:?[ \t]*(?:"(?P<q>[^"\n]+)"|\[(?P<b>[^\]\n]+)\](?!\()|(?P<bare>[^,\n"]+?))'
    r"[ \t]*(?:,[ \t]*because\b|[.,;]|$)",
    re.IGNORECASE,
)
MATRIX_INTRO = (
    "The decision matrix and sensitivity notes, as Decision Ledger keeps them "
    "(options are numbered as listed under Considered Options)."
)
TITLE_MAX = 300


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
class OptionsSection:
    listed: list[tuple[str, str]] = field(default_factory=list)  # (title, description)
    prose: list[list] = field(default_factory=list)  # [[options listed before it, text]]
    subsections: list[Section] = field(default_factory=list)


def options_section(body: list[str]) -> OptionsSection:
    """Bullets (`*`, `-`, `+`, `1.`) are option titles, lines indented under one its
    description; `###` sub-sections are options too; other prose keeps its place."""
    pre, subs = split_sections(body, 3, exact=True)
    out = OptionsSection(subsections=subs)
    items: list[tuple[str, list[str]]] = []
    prose: list[str] = []
    in_item = False

    def flush() -> None:
        text = strip_block(prose).strip("\n")
        if text.strip():
            out.prose.append([len(items), text])
        prose.clear()

    for line, markdown in outside_fences(pre):
        m = BULLET.match(line) if markdown else None
        if m:
            flush()
            items.append((m.group("text").strip(), []))
            in_item = True
        elif in_item and (line.startswith((" ", "\t")) or not line.strip()):
            items[-1][1].append(line)
        else:
            in_item = False
            prose.append(line)
    flush()
    out.listed = [(title, strip_block(dedent(extra)).strip()) for title, extra in items]
    return out


def consequences(body: list[str], meta: dict | None = None) -> tuple[str, str, str]:
    """(good, bad, neutral): arguments and polarity headings say good or bad; the rest,
    unknown sub-headings included, is neutral, its lines as written and in order."""
    pre, subs = split_sections(body, 4)
    good: list[str] = []
    bad: list[str] = []
    neutral: list[str] = []
    target: list[str] | None = None
    removed = False  # an argument line was taken out: do not double the blank around it

    def keep(line: str) -> None:
        nonlocal removed
        if not line.strip() and removed and (not neutral or not neutral[-1].strip()):
            return
        removed = False
        neutral.append(line)

    for line in pre:
        m = ARGUMENT.match(line)
        if m:
            kind = m.group("kind").lower()
            if kind == "neutral":
                target = neutral
                keep(line)
            else:
                target = bad if kind == "bad" else good
                target.append("* " + m.group("text").strip())
                removed = True
        elif target is not None and line.startswith((" ", "\t")) and line.strip():
            if target is neutral:
                keep(line)
            else:
                target[-1] += " " + line.strip()
        else:
            target = None
            keep(line)
    good_chunks, bad_chunks = [good], [bad]
    for heading, sub_body, raw in subs:
        polarity = POLARITY_HEADINGS.get(normalise_heading(heading))
        if polarity and meta is not None:
            # The file says polarity with headings: the writer will, too.
            meta.setdefault("headings", {}).setdefault(f"cons_{polarity}", heading.strip())
        if polarity == "good":
            good_chunks.append(sub_body)
        elif polarity == "bad":
            bad_chunks.append(sub_body)
        else:
            neutral.extend([raw, *sub_body] if polarity is None else sub_body)

    def joined(chunks: list[list[str]]) -> str:
        return "\n\n".join(t for t in (strip_block(c).strip("\n") for c in chunks) if t.strip())

    return joined(good_chunks).strip(), joined(bad_chunks).strip(), strip_block(neutral).strip()


def option_body(option: ParsedOption, body: list[str]) -> None:
    """Arguments (`* Good, because …`, or `+`/`-` bullets when the option uses `+`),
    a `Verdict:` line, an `#### Implementation findings` subsection; everything else is
    the description, in order."""
    description: list[str] = []
    verdict_at: list[int] = []
    findings: list[str] | None = None
    current: list[str] | None = None
    signs = any(md and PRO_CON.match(line) and line[0] == "+" for line, md in outside_fences(body))
    for line, markdown in outside_fences(body):
        if not markdown:
            current = None
            (findings if findings is not None else description).append(line)
            continue
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
        s = PRO_CON.match(line) if signs else None
        hit = a or s
        if hit:
            kind = a.group("kind").lower() if a else ("good" if hit.group("sign") == "+" else "bad")
            current = {"good": option.good, "neutral": option.neutral, "bad": option.bad}[kind]
            current.append(hit.group("text").strip())
            continue
        if current is not None and line.startswith((" ", "\t")) and line.strip():
            current[-1] = (current[-1] + " " + line.strip()).strip()
            continue
        if (
            current is not None
            and not line.strip()
            and (not description or not description[-1].strip())
        ):
            continue  # the blank after arguments taken out: do not double the one before
        current = None
        if re.match(r"^Verdict:[ \t]*(.*)$", line):
            verdict_at.append(len(description))
        description.append(line)
    if findings is not None:
        option.findings = strip_block(findings).strip()
    if verdict_at:
        # The last `Verdict:` line is the verdict (writers put it after the arguments).
        option.verdict = description.pop(verdict_at[-1]).split(":", 1)[1].strip()
    option.description = strip_block(description).strip()


def _names_option(heading: str, titles: list[str]) -> bool:
    """Does an h3 name one of the listed options?"""
    name = plain(heading)
    return any(
        heading.strip() == t
        or plain(t) == name
        or plain(t).startswith(name)
        or name.startswith(plain(t))
        for t in titles
    )


def _match(options: list[ParsedOption], title: str) -> ParsedOption | None:
    for test in (
        lambda o: o.title == title,
        lambda o: plain(o.title) == plain(title),
        lambda o: (
            plain(o.title).startswith(plain(title)) or plain(title).startswith(plain(o.title))
        ),
    ):
        found = next((o for o in options if test(o)), None)
        if found is not None:
            return found
    return None


def build_options(
    listed: list[tuple[str, str]], subsections: list[Section], problems: list[str], meta: dict
) -> list[ParsedOption]:
    """Listed options, then `###` sub-sections (from Considered Options or Pros and Cons)
    matched to them by name; an h3 that names no listed option belongs to the one above.
    A sub-section heading worded unlike its option's title is kept in
    `meta["option_headings"]`."""
    titles = [title for title, _ in listed]
    merged: list[tuple[str, list[str]]] = []
    for heading, body, raw in subsections:
        if titles and merged and not _names_option(heading, titles):
            merged[-1][1].extend([raw, *body])
            continue
        merged.append((heading, list(body)))
    options = [ParsedOption(title=title, description=text) for title, text in listed]
    for heading, body in merged:
        title = heading.strip()
        match = _match(options, title)
        if match is None or match.good or match.bad or match.neutral or match.findings:
            match = ParsedOption(title=title)
            options.append(match)
        if title != match.title:
            meta.setdefault("option_headings", {})[match.title] = title
        before = match.description
        option_body(match, body)
        if before:
            match.description = (before + "\n\n" + match.description).strip()
    for option in options:
        if len(option.title) > TITLE_MAX:
            problems.append(
                f"option title of {len(option.title)} characters cut to {TITLE_MAX}; "
                "the whole text is kept in its description"
            )
            option.description = (option.title + "\n\n" + option.description).strip()
            option.title = option.title[: TITLE_MAX - 1] + "…"
    return options


def chosen_outcome(options: list[ParsedOption], text: str, problems: list[str], meta: dict) -> str:
    """Mark the chosen option; the rationale without the `Chosen option:` lead-in. A
    chosen option named other than by its title keeps that name in `meta["chosen_as"]`."""
    if not options:
        return text
    # Exact title first (titles may contain quotes, e.g. '"Confirmation"').
    for option in sorted(options, key=lambda o: len(o.title), reverse=True):
        exact = re.match(
            r'Chosen option:?[ \t]*"'
            + re.escape(option.title)
            + r'"[ \t]*(?:,[ \t]*because\b|[.,;]|$)',
            text,
            re.IGNORECASE,
        )
        if exact:
            option.chosen = True
            _keep_lead(option, text, exact.end(), meta)
            return text[exact.end() :].strip()
    m = CHOSEN.match(text)
    if not m:
        return text
    name = (m.group("q") or m.group("b") or m.group("bare") or "").strip()
    chosen = next((o for o in options if o.title == name), None)
    if chosen is None:
        chosen = next((o for o in options if plain(o.title) == plain(name)), None)
    if chosen is None:
        candidates = [
            o
            for o in options
            if plain(o.title).startswith(plain(name)) or plain(name) in plain(o.title)
        ]
        chosen = candidates[0] if len(candidates) == 1 else None
    if chosen is None:
        problems.append(f"chosen option {name!r} is not among the considered options")
        return text
    chosen.chosen = True
    _keep_lead(chosen, text, m.end(), meta)
    return text[m.end() :].strip()


def _keep_lead(option: ParsedOption, text: str, end: int, meta: dict) -> None:
    """The `Chosen option: …` lead-in as the file wrote it (and what separates it from
    the rationale), if not as the writer would."""
    lead = text[:end].rstrip()
    gap = text[len(lead) :]
    gap = gap[: len(gap) - len(gap.lstrip())]
    gap = "\n\n" if gap.count("\n") > 1 else ("\n" if "\n" in gap else " ")
    if lead != f'Chosen option: "{option.title}", because':
        meta["chosen_as"] = [option.title, lead, gap]


def matrix(text: str) -> tuple[list[dict], list[dict], str] | None:
    """(criteria, sensitivity notes, other text) from a Decision Matrix section, or None
    when it is not the ledger's YAML."""
    m = re.search(r"```ya?ml\n(.*?)\n```", text, re.DOTALL)
    if not m:
        return None
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    criteria = data.get("criteria") or []
    notes = data.get("sensitivity") or []
    if not isinstance(criteria, list) or not isinstance(notes, list):
        return None
    rest = (text[: m.start()] + text[m.end() :]).strip().replace(MATRIX_INTRO, "").strip()
    return (
        [c for c in criteria if isinstance(c, dict) and c.get("name")],
        [n for n in notes if isinstance(n, dict) and n.get("condition")],
        rest,
    )

"""Write decisions as ADR files: MADR (front matter, or the file's own metadata lines)
or Nygard in adr-tools' layout.

A decision imported from a file is written back under that file's name, with its
front matter, metadata wording and title line as they were (`metadata.py`) unless the
ledger's value changed. What MADR or Nygard have no place for (options' findings and
verdicts, the decision matrix, relations) is written in a form `parse.py` reads back,
so that importing an export gives the same decision, field for field, and exporting
that again gives the same bytes.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.db.models import Prefetch

from adr.access import readable_log_q
from adr.models import Criterion, Decision, DecisionRelation, MatrixCell, Option, SensitivityNote

from . import metadata
from .markdown import HEADING, outside_fences, plain_title
from .sections import MATRIX_INTRO
from .vocabulary import TITLE_PREFIX

FORMATS = ("madr", "nygard")
VERB = {"supersedes": "Supersedes", "amends": "Amends", "relates_to": "Relates to"}
INVERSE_VERB = {"supersedes": "Superseded by", "amends": "Amended by"}


def filename(decision: Decision) -> str:
    """The file it came from, or NNNN-slug.md for a decision made in the ledger."""
    return decision.source_file or f"{decision.number:04d}-{decision.slug}.md"


def decisions_for_export(log, *, user=None) -> list[Decision]:
    """Every decision of a log with all it needs, in a fixed number of queries. For a
    ``user`` (a download), relations to decisions in logs they may not read are left out
    (adr.access): a team-private log's titles never travel in another log's files."""
    relations_out = DecisionRelation.objects.select_related("target__log").order_by("id")
    relations_in = DecisionRelation.objects.select_related("source__log").order_by("id")
    if user is not None:
        relations_out = relations_out.filter(readable_log_q(user, prefix="target__log__"))
        relations_in = relations_in.filter(readable_log_q(user, prefix="source__log__"))
    return list(
        Decision.objects.filter(log=log)
        .select_related("log")
        .prefetch_related(
            "tags",
            Prefetch("options", queryset=Option.objects.order_by("position", "id")),
            Prefetch(
                "criteria",
                queryset=Criterion.objects.order_by("position", "id").prefetch_related(
                    Prefetch("cells", queryset=MatrixCell.objects.all())
                ),
            ),
            Prefetch(
                "sensitivity_notes",
                queryset=SensitivityNote.objects.order_by("position", "id"),
            ),
            Prefetch("relations_out", queryset=relations_out),
            Prefetch("relations_in", queryset=relations_in),
        )
        .order_by("number")
    )


def render(decision: Decision, fmt: str = "madr", *, compat: bool = False) -> str:
    """One decision as a file. `compat` (MADR only) also writes `- Status:` / `- Date:`
    lines under the title, which log4brains reads (it ignores front matter)."""
    if fmt == "nygard":
        return render_nygard(decision)
    if fmt == "madr":
        return render_madr(decision, compat=compat)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def _link(target: Decision, *, said_in: Decision) -> str:
    """A link to `target`, with the text `said_in`'s file gave it, if any."""
    texts = (said_in.source_meta or {}).get("link_texts") or {}
    text = texts.get(filename(target)) or f"{target.number}. {target.title}"
    return f"[{text}]({filename(target)})"


def _said_in_status(decision: Decision, target: Decision) -> bool:
    """Is this relation already written in the file's own status wording?"""
    raw = metadata.raw_value(decision, "status")
    if not isinstance(raw, str):
        return False
    return filename(target) in raw or bool(
        re.search(rf"\bADR[- ]?0*{target.number}\b", raw, re.IGNORECASE)
    )


def relation_lines(decision: Decision) -> list[str]:
    lines = []
    for rel in decision.relations_out.all():
        note = f" — {rel.note}" if rel.note else ""
        if rel.target.log_id != decision.log_id:
            # Another log: exported beside this one as ../KEY/NNNN-slug.md.
            target = rel.target
            link = f"[{target.reference} {target.title}](../{target.log.key}/{filename(target)})"
            lines.append(f"{VERB[rel.kind]} {link}{note}")
            continue
        if _said_in_status(decision, rel.target):
            continue
        lines.append(f"{VERB[rel.kind]} {_link(rel.target, said_in=decision)}{note}")
    for rel in decision.relations_in.all():
        if rel.source.log_id != decision.log_id or rel.kind not in INVERSE_VERB:
            continue
        if _said_in_status(decision, rel.source):
            continue
        lines.append(f"{INVERSE_VERB[rel.kind]} {_link(rel.source, said_in=decision)}")
    return lines


def _pure_list(text: str) -> bool:
    lines = text.strip().split("\n")
    return bool(text.strip()) and all(
        line.startswith("* ") and line[2:].strip() == line[2:] for line in lines
    )


def _has_heading(text: str) -> bool:
    return any(
        markdown and HEADING.match(line) for line, markdown in outside_fences(text.split("\n"))
    )


def _consequences(decision: Decision, level: str) -> list[str]:
    """Neutral text as written, then good and bad: `* Good, because` items when both are
    plain lists (and nothing before them has a heading), else sub-sections."""
    good, bad = decision.consequences_good.strip(), decision.consequences_bad.strip()
    neutral = decision.consequences_neutral.strip()
    out = [neutral] if neutral else []
    said = (decision.source_meta or {}).get("headings") or {}
    headed = "cons_good" in said or "cons_bad" in said  # the file used headings
    if not good and not bad:
        return out
    if (
        not headed
        and not _has_heading(neutral)
        and (not good or _pure_list(good))
        and (not bad or _pure_list(bad))
    ):
        items = [f"* Good, because {line[2:]}" for line in good.split("\n") if good]
        items += [f"* Bad, because {line[2:]}" for line in bad.split("\n") if bad]
        return [*out, "\n".join(items)]
    if good:
        out += [f"{level} {said.get('cons_good', 'Positive Consequences')}", good]
    if bad:
        out += [f"{level} {said.get('cons_bad', 'Negative Consequences')}", bad]
    return out


def _outcome(decision: Decision) -> str:
    chosen = next((o for o in decision.options.all() if o.chosen), None)
    rationale = decision.outcome_rationale.strip()
    if chosen is None:
        return rationale
    said = (decision.source_meta or {}).get("chosen_as")
    if said and said[0] == chosen.title:
        # As the file wrote it, while that option is still the one.
        lead = said[1]
        if rationale and len(said) > 2:
            return f"{lead}{said[2]}{rationale}"
    elif rationale:
        lead = f'Chosen option: "{chosen.title}", because'
    else:
        return f'Chosen option: "{chosen.title}".'
    if not rationale:
        return lead
    if rationale.startswith(("*", "-", "#", "`", ">", "|", "<", "[")):
        return f"{lead}\n\n{rationale}"
    return f"{lead} {rationale}"


def _h(decision: Decision, key: str, default: str) -> str:
    """A section heading at the writer's level, worded as the file worded it."""
    level, _, text = default.partition(" ")
    said = ((decision.source_meta or {}).get("headings") or {}).get(key)
    return f"{level} {said}" if said else default


def _option_sections(decision: Decision) -> list[str]:
    headings = (decision.source_meta or {}).get("option_headings") or {}
    out = []
    for option in decision.options.all():
        body = []
        if option.description.strip():
            body.append(option.description.strip())
        args = [f"* Good, because {a}" for a in option.good.split("\n") if a.strip()]
        args += [f"* Neutral, because {a}" for a in option.neutral.split("\n") if a.strip()]
        args += [f"* Bad, because {a}" for a in option.bad.split("\n") if a.strip()]
        if args:
            body.append("\n".join(a.rstrip() for a in args))
        if option.verdict.strip():
            body.append(f"Verdict: {option.verdict.strip()}")
        if option.findings.strip():
            body += ["#### Implementation findings", option.findings.strip()]
        if body:
            heading = headings.get(option.title, option.title)
            out += [f"### {heading}"] + body
    return out


def _matrix(decision: Decision) -> list[str]:
    options = list(decision.options.all())
    index = {o.pk: i + 1 for i, o in enumerate(options)}
    criteria = []
    for crit in decision.criteria.all():
        cells = []
        for cell in sorted(crit.cells.all(), key=lambda c: index.get(c.option_id, 0)):
            if cell.option_id not in index:
                continue
            entry: dict[str, Any] = {"option": index[cell.option_id]}
            if cell.score is not None:
                entry["score"] = cell.score
            if cell.text:
                entry["text"] = cell.text
            cells.append(entry)
        item: dict[str, Any] = {"name": crit.name, "weight": str(crit.weight)}
        if crit.description:
            item["description"] = crit.description
        item["cells"] = cells
        criteria.append(item)
    notes = []
    for note in decision.sensitivity_notes.all():
        item = {"condition": note.condition}
        if note.consequence:
            item["consequence"] = note.consequence
        if note.favours_id in index:
            item["favours"] = index[note.favours_id]
        notes.append(item)
    if not criteria and not notes:
        return []
    data = {}
    if criteria:
        data["criteria"] = criteria
    if notes:
        data["sensitivity"] = notes
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    return ["## Decision Matrix", MATRIX_INTRO, "```yaml\n" + dumped.rstrip() + "\n```"]


def _options_list(decision: Decision) -> list[str]:
    """The titles as a list, with the prose the file had between them in its place."""
    options = list(decision.options.all())
    prose = (decision.source_meta or {}).get("options_prose") or []
    at: dict[int, list[str]] = {}
    for index, text in prose:
        at.setdefault(min(int(index), len(options)), []).append(text)
    blocks: list[str] = []
    run: list[str] = []
    for i in range(len(options) + 1):
        if at.get(i):
            if run:
                blocks.append("\n".join(run))
                run = []
            blocks += at[i]
        if i < len(options):
            run.append(f"* {options[i].title}")
    if run:
        blocks.append("\n".join(run))
    return blocks


def _problem(decision: Decision, context_heading: str) -> list[str]:
    """Context, drivers and the list of considered options (both formats)."""
    blocks = []
    if decision.context.strip():
        blocks += [context_heading, decision.context.strip()]
    if decision.drivers.strip():
        blocks += [_h(decision, "drivers", "## Decision Drivers"), decision.drivers.strip()]
    listed = _options_list(decision)
    if listed:
        blocks += [_h(decision, "options", "## Considered Options"), *listed]
    return blocks


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b.rstrip() for b in blocks if b is not None and b.strip()) + "\n"


def _title_line(decision: Decision, *, numbered: bool = False) -> str:
    """The file's own title line while it still reads as the title; else the title
    (Nygard: `N. Title`, as adr-tools writes it)."""
    line = (decision.source_meta or {}).get("title_line", "")
    same = bool(line) and plain_title(TITLE_PREFIX.sub("", line)) == decision.title
    if same and (not numbered or re.match(rf"^{decision.number}\.\s", line)):
        return f"# {line}"
    if numbered:
        return f"# {decision.number}. {decision.title}"
    return f"# {decision.title}"


def render_madr(decision: Decision, *, compat: bool = False) -> str:
    meta = decision.source_meta or {}
    has_fm = meta.get("front_matter") is not None
    line_keys = {key for key, _line in meta.get("lines") or []}
    blocks = []
    if has_fm or not line_keys:
        add = tuple(k for k in metadata.KEYS if k not in line_keys)
        front = metadata.front_matter(decision, add=add)
        if compat:
            # log4brains reads a "---" closing line as a Markdown heading (and then
            # misses the metadata list); YAML's "..." closes front matter as well.
            front = front[: -len("---")] + "..."
        blocks.append(front + "\n\n" + _title_line(decision))
    else:
        blocks.append(_title_line(decision))
    skip = {"status", "date"} if compat else set()
    if line_keys and not has_fm:
        lines = metadata.header_lines(decision, skip=skip, add=metadata.KEYS)
    else:
        lines = metadata.header_lines(decision, skip=skip, add=())
    if compat:
        # log4brains reads status and date only from a `- Key: value` list under the title.
        ours = [f"- Status: {decision.status}"]
        if decision.decided_on:
            ours.append(f"- Date: {decision.decided_on.isoformat()}")
        lines = ours + lines
    if lines:
        blocks.append("\n".join(lines))
    blocks += _problem(decision, _h(decision, "context", "## Context and Problem Statement"))
    outcome = _outcome(decision)
    said = (decision.source_meta or {}).get("headings") or {}
    # MADR 2 puts Positive/Negative Consequences right under the outcome.
    bare = (
        ("cons_good" in said or "cons_bad" in said)
        and "consequences" not in said
        and not decision.consequences_neutral.strip()
    )
    consequences = _consequences(decision, "###" if bare else "####")
    if outcome or consequences or decision.confirmation.strip():
        blocks += [_h(decision, "outcome", "## Decision Outcome"), outcome]
        if consequences and not bare:
            blocks += [_h(decision, "consequences", "### Consequences")]
        blocks += consequences
        if decision.confirmation.strip():
            confirmation = _h(decision, "confirmation", "### Confirmation")
            blocks += [confirmation, decision.confirmation.strip()]
    pros = _option_sections(decision)
    if pros:
        blocks += [_h(decision, "pros_cons", "## Pros and Cons of the Options"), *pros]
    blocks += _matrix(decision)
    if decision.more_information.strip():
        blocks += [_h(decision, "more", "## More Information"), decision.more_information.strip()]
    links = relation_lines(decision)
    if links:
        blocks += [_h(decision, "links", "## Links"), "\n".join(f"* {line}" for line in links)]
    return _join(blocks)


def render_nygard(decision: Decision) -> str:
    meta = decision.source_meta or {}
    # adr-tools has one line per key: names over several lines go to front matter.
    multi = {key for key in ("deciders", "consulted", "informed") if "\n" in getattr(decision, key)}
    blocks = []
    fm: set[str] = set()
    if meta.get("front_matter") is not None or multi:
        fm = metadata.front_matter_keys(decision) | multi
        blocks.append(metadata.front_matter(decision, add=multi))
    lines = metadata.header_lines(
        decision,
        skip=fm,
        add=("date", "deciders", "consulted", "informed", "tags", "revisit_by"),
    )
    blocks.append(_title_line(decision, numbered=True))
    if lines:
        blocks.append("\n".join(lines))
    status_text = metadata.raw_value(decision, "status")
    if not isinstance(status_text, str) or not status_text.strip():
        status_text = decision.get_status_display()
    status_heading = _h(decision, "status", "## Status")
    blocks += [status_heading, "\n\n".join([status_text, *relation_lines(decision)])]
    blocks += _problem(decision, _h(decision, "context", "## Context"))
    outcome = _outcome(decision)
    if outcome:
        blocks += [_h(decision, "outcome", "## Decision"), outcome]
    consequences = _consequences(decision, "###")
    if consequences:
        blocks += [_h(decision, "consequences", "## Consequences"), *consequences]
    if decision.confirmation.strip():
        blocks += [_h(decision, "confirmation", "## Confirmation"), decision.confirmation.strip()]
    pros = _option_sections(decision)
    if pros:
        blocks += [_h(decision, "pros_cons", "## Pros and Cons of the Options"), *pros]
    blocks += _matrix(decision)
    if decision.more_information.strip():
        blocks += [_h(decision, "more", "## More Information"), decision.more_information.strip()]
    return _join(blocks)

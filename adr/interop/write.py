"""Write decisions as ADR files: MADR 4 (YAML front matter) or Nygard in adr-tools' layout.

What MADR or Nygard have no place for (options' findings and verdicts, the decision
matrix, relations) is written in a form `parse.py` reads back, so that importing an
export gives the same decision, field for field.
"""

from __future__ import annotations

import re

import yaml
from django.db.models import Prefetch

from adr.models import Criterion, Decision, DecisionRelation, MatrixCell, Option, SensitivityNote

from .parse import MATRIX_INTRO

FORMATS = ("madr", "nygard")
VERB = {"supersedes": "Supersedes", "amends": "Amends", "relates_to": "Relates to"}
INVERSE_VERB = {"supersedes": "Superseded by", "amends": "Amended by"}


def filename(decision: Decision) -> str:
    return f"{decision.number:04d}-{decision.slug}.md"


def decisions_for_export(log) -> list[Decision]:
    """Every decision of a log with all it needs, in a fixed number of queries."""
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
            Prefetch(
                "relations_out",
                queryset=DecisionRelation.objects.select_related("target__log").order_by("id"),
            ),
            Prefetch(
                "relations_in",
                queryset=DecisionRelation.objects.select_related("source__log").order_by("id"),
            ),
        )
        .order_by("number")
    )


def render(decision: Decision, fmt: str = "madr") -> str:
    if fmt == "nygard":
        return render_nygard(decision)
    if fmt == "madr":
        return render_madr(decision)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


def _link(decision: Decision) -> str:
    return f"[{decision.number}. {decision.title}]({filename(decision)})"


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
        lines.append(f"{VERB[rel.kind]} {_link(rel.target)}{note}")
    for rel in decision.relations_in.all():
        if rel.source.log_id != decision.log_id or rel.kind not in INVERSE_VERB:
            continue
        lines.append(f"{INVERSE_VERB[rel.kind]} {_link(rel.source)}")
    return lines


def _pure_list(text: str) -> bool:
    lines = text.strip().split("\n")
    return bool(text.strip()) and all(
        line.startswith("* ") and line[2:].strip() == line[2:] for line in lines
    )


def _consequences(decision: Decision, level: str, plain_if_only_good: bool) -> list[str]:
    good, bad = decision.consequences_good.strip(), decision.consequences_bad.strip()
    if not good and not bad:
        return []
    if (
        plain_if_only_good
        and not bad
        and not re.search(r"^[*-][ \t]+(Good|Bad|Neutral)\b", good, re.IGNORECASE | re.MULTILINE)
    ):
        return [good]
    if (not good or _pure_list(good)) and (not bad or _pure_list(bad)):
        items = [f"* Good, because {line[2:]}" for line in good.split("\n") if good]
        items += [f"* Bad, because {line[2:]}" for line in bad.split("\n") if bad]
        return ["\n".join(items)]
    out = []
    if good:
        out += [f"{level} Positive Consequences", good]
    if bad:
        out += [f"{level} Negative Consequences", bad]
    return out


def _outcome(decision: Decision) -> str:
    chosen = next((o for o in decision.options.all() if o.chosen), None)
    rationale = decision.outcome_rationale.strip()
    if chosen is None:
        return rationale
    if not rationale:
        return f'Chosen option: "{chosen.title}".'
    if "\n" in rationale or rationale.startswith(("*", "-", "#", "`", ">", "|")):
        return f'Chosen option: "{chosen.title}", because\n\n{rationale}'
    return f'Chosen option: "{chosen.title}", because {rationale}'


def _option_sections(decision: Decision) -> list[str]:
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
            out += [f"### {option.title}"] + body
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
            entry = {"option": index[cell.option_id]}
            if cell.score is not None:
                entry["score"] = cell.score
            if cell.text:
                entry["text"] = cell.text
            cells.append(entry)
        item = {"name": crit.name, "weight": str(crit.weight)}
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


def _problem(decision: Decision, context_heading: str) -> list[str]:
    """Context, drivers and the list of considered options (both formats)."""
    blocks = []
    if decision.context.strip():
        blocks += [context_heading, decision.context.strip()]
    if decision.drivers.strip():
        blocks += ["## Decision Drivers", decision.drivers.strip()]
    options = list(decision.options.all())
    if options:
        blocks += ["## Considered Options", "\n".join(f"* {o.title}" for o in options)]
    return blocks


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b.rstrip() for b in blocks if b is not None and b.strip()) + "\n"


def render_madr(decision: Decision) -> str:
    front: dict = {"status": decision.status}
    if decision.decided_on:
        front["date"] = decision.decided_on
    if decision.deciders.strip():
        front["decision-makers"] = decision.deciders.strip()
    if decision.consulted.strip():
        front["consulted"] = decision.consulted.strip()
    if decision.informed.strip():
        front["informed"] = decision.informed.strip()
    tags = sorted(t.name for t in decision.tags.all())
    if tags:
        front["tags"] = tags
    if decision.revisit_by:
        front["revisit-by"] = decision.revisit_by
    blocks = [
        "---\n"
        + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000).rstrip()
        + "\n---\n\n# "
        + decision.title
    ]
    blocks += _problem(decision, "## Context and Problem Statement")
    outcome = _outcome(decision)
    consequences = _consequences(decision, "###", plain_if_only_good=False)
    if outcome or consequences or decision.confirmation.strip():
        blocks += ["## Decision Outcome", outcome]
        if consequences:
            if len(consequences) == 1:
                blocks += ["### Consequences"]
            blocks += consequences
        if decision.confirmation.strip():
            blocks += ["### Confirmation", decision.confirmation.strip()]
    pros = _option_sections(decision)
    if pros:
        blocks += ["## Pros and Cons of the Options"] + pros
    blocks += _matrix(decision)
    if decision.more_information.strip():
        blocks += ["## More Information", decision.more_information.strip()]
    links = relation_lines(decision)
    if links:
        blocks += ["## Links", "\n".join(f"* {line}" for line in links)]
    return _join(blocks)


def render_nygard(decision: Decision) -> str:
    head = [f"# {decision.number}. {decision.title}"]
    meta = []
    if decision.decided_on:
        meta.append(f"Date: {decision.decided_on.isoformat()}")
    for label, value in (
        ("Deciders", decision.deciders),
        ("Consulted", decision.consulted),
        ("Informed", decision.informed),
    ):
        if value.strip() and "\n" not in value.strip():
            meta.append(f"{label}: {value.strip()}")
    tags = sorted(t.name for t in decision.tags.all())
    if tags:
        meta.append(f"Tags: {', '.join(tags)}")
    if decision.revisit_by:
        meta.append(f"Revisit by: {decision.revisit_by.isoformat()}")
    blocks = head + (["\n".join(meta)] if meta else [])
    status = [decision.get_status_display()] + relation_lines(decision)
    blocks += ["## Status", "\n\n".join(status)]
    blocks += _problem(decision, "## Context")
    outcome = _outcome(decision)
    if outcome:
        blocks += ["## Decision", outcome]
    consequences = _consequences(decision, "###", plain_if_only_good=True)
    if consequences:
        blocks += ["## Consequences"] + consequences
    if decision.confirmation.strip():
        blocks += ["## Confirmation", decision.confirmation.strip()]
    pros = _option_sections(decision)
    if pros:
        blocks += ["## Pros and Cons of the Options"] + pros
    blocks += _matrix(decision)
    more = decision.more_information.strip()
    multi = [
        (label, value.strip())
        for label, value in (
            ("Deciders", decision.deciders),
            ("Consulted", decision.consulted),
            ("Informed", decision.informed),
        )
        if "\n" in value.strip()
    ]
    if multi:
        # adr-tools has one line per key: names over several lines go to front matter.
        front = {label.lower(): value for label, value in multi}
        blocks.insert(
            0,
            "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip() + "\n---",
        )
    if more:
        blocks += ["## More Information", more]
    return _join(blocks)

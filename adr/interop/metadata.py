"""A decision's metadata (status, date, deciders, …) as the file it came from wrote it.

`source_meta["values"]` keeps each value's verbatim text; the writers use it while it
still means what the decision holds (`Date: 2016-02-12 (originally)` is still
2016-02-12), and write the ledger's value otherwise.
"""

from __future__ import annotations

from typing import Any

from adr import services
from adr.models import Decision

from . import frontmatter
from .parsed import names, parse_date, tags
from .vocabulary import META_KEYS, META_LINE, map_status

KEYS = ("status", "date", "deciders", "consulted", "informed", "tags", "revisit_by")
LABELS = {
    "status": "Status",
    "date": "Date",
    "deciders": "Deciders",
    "consulted": "Consulted",
    "informed": "Informed",
    "tags": "Tags",
    "revisit_by": "Revisit by",
}
FRONT_KEYS = {
    "status": "status",
    "date": "date",
    "deciders": "decision-makers",
    "consulted": "consulted",
    "informed": "informed",
    "tags": "tags",
    "revisit_by": "revisit-by",
}


def tag_names(values) -> list[str]:
    """The names `services.set_tags` would store."""
    return services.tag_names(values)


def current_tags(decision: Decision) -> list[str]:
    return sorted(t.name for t in decision.tags.all())


def has_value(decision: Decision, key: str) -> bool:
    if key == "status":
        return True
    if key == "date":
        return decision.decided_on is not None
    if key == "revisit_by":
        return decision.revisit_by is not None
    if key == "tags":
        return bool(current_tags(decision))
    return bool(getattr(decision, key).strip())


def means(decision: Decision, key: str, raw: Any) -> bool:
    """Does the verbatim value `raw` still say what the decision holds?"""
    if key == "status":
        meta = decision.source_meta or {}
        if decision.status == meta.get("status_imported"):
            return True
        return map_status(str(raw))[0] == decision.status
    if key in ("date", "revisit_by"):
        held = decision.decided_on if key == "date" else decision.revisit_by
        return parse_date(raw, None, None) == held
    if key == "tags":
        return tag_names(tags(raw)) == current_tags(decision)
    return names(raw) == getattr(decision, key).strip()


def raw_value(decision: Decision, key: str) -> Any:
    """The verbatim value if it still holds, else None."""
    values = (decision.source_meta or {}).get("values") or {}
    if key in values and means(decision, key, values[key]):
        return values[key]
    return None


def value(decision: Decision, key: str) -> Any:
    """What to write for `key`: the verbatim value if it holds, else the ledger's."""
    raw = raw_value(decision, key)
    if raw is not None:
        return raw
    if key == "status":
        return decision.status
    if key == "date":
        return decision.decided_on
    if key == "revisit_by":
        return decision.revisit_by
    if key == "tags":
        return current_tags(decision)
    return getattr(decision, key).strip()


def as_line_text(key: str, val: Any) -> str:
    if hasattr(val, "isoformat"):
        return val.isoformat()
    if isinstance(val, list | tuple):
        return ", ".join(str(v) for v in val)
    return str(val)


def front_matter(decision: Decision, *, add: tuple[str, ...] | set[str] = ()) -> str:
    """The front matter block: the file's own chunks in order (a known key rewritten only
    when its value changed), then the keys in `add` it lacked."""
    meta = decision.source_meta or {}
    out: list[str] = []
    present: set[str] = set()
    for key, text in meta.get("front_matter") or []:
        known = META_KEYS.get(key.strip().lower()) if key else None
        if known is None:
            out.append(text)
            continue
        present.add(known)
        if known != "status" and not has_value(decision, known):
            continue
        if means(decision, known, frontmatter.chunk_value([key, text])):
            out.append(text)
        else:
            out.append(frontmatter.dump(key, value(decision, known)))
    for known in KEYS:
        if known in add and known not in present and has_value(decision, known):
            out.append(frontmatter.dump(FRONT_KEYS[known], value(decision, known)))
    return frontmatter.render(out)


def front_matter_keys(decision: Decision) -> set[str]:
    meta = decision.source_meta or {}
    found = (META_KEYS.get(c[0].strip().lower()) for c in meta.get("front_matter") or [] if c[0])
    return {k for k in found if k}


def header_lines(
    decision: Decision, *, skip: set[str], add: tuple[str, ...], prefix: str = ""
) -> list[str]:
    """Metadata lines under the title: the file's own (rewritten only when changed), then
    the keys in `add` it lacked, in the style of its first line."""
    meta = decision.source_meta or {}
    out: list[str] = []
    present: set[str] = set()
    for i, (key, line) in enumerate(meta.get("lines") or []):
        m = META_LINE.match(line)
        if i == 0 and m:
            prefix = line[: len(line) - len(line.lstrip())] + _bullet(line)
        present.add(key)
        if key in skip or (key != "status" and not has_value(decision, key)):
            continue
        if m and means(decision, key, m.group("value")):
            out.append(line)
        else:
            label = m.group("key") if m else LABELS[key]
            out.append(f"{_bullet(line)}{label}: {as_line_text(key, value(decision, key))}")
    for key in add:
        if key in present or key in skip or not has_value(decision, key):
            continue
        out.append(f"{prefix}{LABELS[key]}: {as_line_text(key, value(decision, key))}")
    return out


def _bullet(line: str) -> str:
    stripped = line.lstrip()
    return stripped[:2] if stripped[:2] in ("* ", "- ") else ""

"""Comparable snapshots of a decision, as the ledger holds it and as a file says it.

`decision_snapshot == parsed_snapshot` means a file changes nothing (the importer's
"unchanged"); `meaning` drops layout (where a file put its metadata, heading wording),
which may differ between a MADR and a Nygard export of one decision, so that tests can
compare a round trip through either format field for field.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from adr import services
from adr.models import Decision

from .metadata import tag_names
from .parsed import ParsedADR, finish_more_information
from .vocabulary import META_KEYS

# The decision's text content as a file carries it (dates and source_path go apart).
TEXT_FIELDS = tuple(
    name
    for name in services.EDITABLE_FIELDS
    if name not in ("decided_on", "revisit_by", "source_path")
)
OPTION_FIELDS = ("title", "description", "good", "neutral", "bad", "findings", "verdict", "chosen")


def decision_snapshot(decision: Decision) -> dict:
    """Everything an ADR file carries, in comparable form (used for 'unchanged' and tests)."""
    options = list(decision.options.order_by("position", "id"))
    index = {o.pk: i + 1 for i, o in enumerate(options)}
    criteria = []
    for crit in decision.criteria.order_by("position", "id").prefetch_related("cells"):
        cells = sorted(
            (index.get(c.option_id, 0), c.score, c.text.strip()) for c in crit.cells.all()
        )
        criteria.append(
            {
                "name": crit.name.strip(),
                "description": crit.description.strip(),
                "weight": str(Decimal(crit.weight).quantize(Decimal("0.01"))),
                "cells": cells,
            }
        )
    return {
        **{name: getattr(decision, name).strip() for name in TEXT_FIELDS},
        "source_file": decision.source_file,
        "source_meta": decision.source_meta or {},
        "status": decision.status,
        "decided_on": decision.decided_on,
        "revisit_by": decision.revisit_by,
        "tags": sorted(t.name for t in decision.tags.all()),
        "options": [
            {
                name: (getattr(o, name).strip() if name != "chosen" else o.chosen)
                for name in OPTION_FIELDS
            }
            for o in options
        ],
        "criteria": criteria,
        "sensitivity": [
            {
                "condition": n.condition.strip(),
                "consequence": n.consequence.strip(),
                "favours": index.get(n.favours_id) if n.favours_id is not None else None,
            }
            for n in decision.sensitivity_notes.order_by("position", "id")
        ],
    }


# How a file laid its metadata out (which may differ between MADR and Nygard exports of
# one decision) as opposed to what it said.
LAYOUT_KEYS = ("lines", "title_line", "headings", "option_headings", "chosen_as", "link_texts")


def meaning(snapshot: dict) -> dict:
    """A snapshot without layout: what must survive an export in any format and a
    re-import (unknown front matter and verbatim values included)."""
    out = dict(snapshot)
    meta = {k: v for k, v in (snapshot.get("source_meta") or {}).items() if k not in LAYOUT_KEYS}
    if "front_matter" in meta:
        meta["front_matter"] = [c for c in meta["front_matter"] if not _known_key(c[0])]
        if not meta["front_matter"]:
            del meta["front_matter"]
    values = {k: v for k, v in (meta.get("values") or {}).items() if not _plain(snapshot, k, v)}
    meta.pop("values", None)
    if values:
        meta["values"] = values
    if "status" not in values:
        meta.pop("status_imported", None)
    out["source_meta"] = meta
    return out


def _plain(snapshot: dict, key: str, value) -> bool:
    """Does a verbatim value say no more than the field itself (so that a file which
    did not state it and an export which did mean the same)?"""
    held = {
        "status": snapshot["status"],
        "date": snapshot["decided_on"].isoformat() if snapshot["decided_on"] else "",
        "revisit_by": snapshot["revisit_by"].isoformat() if snapshot["revisit_by"] else "",
        "tags": ", ".join(snapshot["tags"]),
    }.get(key, snapshot.get(key, ""))
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value).strip().lower() == str(held).strip().lower()


def _known_key(key: str) -> bool:
    return bool(key) and key.strip().lower() in META_KEYS


def _weight(value) -> str:
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except (InvalidOperation, ValueError):
        return "1.00"


def _score(value):
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def parsed_snapshot(adr: ParsedADR) -> dict:
    n_options = len(adr.options)

    def opt(i):
        try:
            i = int(i)
        except (TypeError, ValueError):
            return None
        return i if 1 <= i <= n_options else None

    return {
        **{
            name: (getattr(adr, name) or "").strip()
            for name in TEXT_FIELDS
            if name != "more_information"
        },
        "more_information": finish_more_information(adr),
        "source_file": adr.filename,
        "source_meta": adr.source_meta,
        "status": adr.status,
        "decided_on": adr.decided_on,
        "revisit_by": adr.revisit_by,
        "tags": tag_names(adr.tags),
        "options": [
            {
                name: (value.strip() if isinstance(value, str) else value)
                for name, value in o.as_fields().items()
            }
            for o in adr.options
        ],
        "criteria": [
            {
                "name": str(c.get("name", "")).strip(),
                "description": str(c.get("description") or "").strip(),
                "weight": _weight(c.get("weight", 1)),
                "cells": sorted(
                    (
                        opt(cell.get("option")) or 0,
                        _score(cell.get("score")),
                        str(cell.get("text") or "").strip(),
                    )
                    for cell in (c.get("cells") or [])
                    if isinstance(cell, dict) and opt(cell.get("option"))
                ),
            }
            for c in adr.criteria
        ],
        "sensitivity": [
            {
                "condition": str(n.get("condition", "")).strip(),
                "consequence": str(n.get("consequence") or "").strip(),
                "favours": opt(n.get("favours")),
            }
            for n in adr.sensitivity
        ],
    }

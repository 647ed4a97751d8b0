"""When an import would overwrite a decision it may not be about: a different title or
source file under the same number, or a decision that is signed off or linked from
elsewhere (a risk acceptance, a trigger). Such a file is not applied until the person
importing chooses: update it, import it as a new decision, or skip it."""

from __future__ import annotations

import difflib

from django.db import models

from adr.models import Decision

from .markdown import plain_title
from .write import render

CHOICES = ("update", "new", "skip")
MAX_DIFF_LINES = 400


def links_elsewhere(decision: Decision) -> list[str]:
    """What outside the decision log links to this decision (risk acceptances, triggers…),
    found through the model's relations so that this app need not know the others."""
    found = []
    for rel in Decision._meta.related_objects:
        if rel.related_model._meta.app_label == "adr" or rel.related_model.__name__.startswith(
            "Historical"
        ):
            continue
        accessor = rel.get_accessor_name()
        if (
            isinstance(rel, models.ManyToOneRel | models.ManyToManyRel)
            and accessor
            and getattr(decision, accessor).exists()
        ):
            found.append(str(rel.related_model._meta.verbose_name_plural))
    return sorted(found)


def reasons(decision: Decision, *, title: str, file_name: str) -> list[str]:
    """Why updating `decision` from this file needs an explicit choice ([] if it does not)."""
    out = []
    if plain_title(decision.title).lower() != plain_title(title).lower():
        out.append(
            f"the ledger's {decision.reference} is titled “{decision.title}”, the file “{title}”"
        )
    if decision.source_file and decision.source_file != file_name:
        out.append(f"{decision.reference} came from {decision.source_file}, not {file_name}")
    linked = links_elsewhere(decision)
    if linked:
        out.append(f"{decision.reference} is linked from {', '.join(linked)}")
    return out


def diff(decision: Decision, data: bytes, file_name: str) -> str:
    """The ledger's decision (as MADR) against the incoming file, unified."""
    have = render(decision, "madr").splitlines()
    want = data.decode("utf-8", "replace").replace("\r\n", "\n").splitlines()
    lines = list(
        difflib.unified_diff(
            have, want, f"ledger {decision.reference}", file_name, lineterm="", n=2
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    return "\n".join(lines)

"""Apply one parsed file to its decision, through `adr.services.decision_save_full`
(the one writer of a whole decision): create it, update what changed (options, matrix,
sensitivity notes), or — when it would overwrite a decision it may not be about
(conflicts.py) — leave it for the person importing to choose."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from adr import services
from adr.models import Decision, DecisionLog

from . import conflicts
from .parsed import ParsedADR
from .snapshot import TEXT_FIELDS, decision_snapshot, parsed_snapshot

if TYPE_CHECKING:  # the importer imports this module
    from .importer import FileResult


@dataclass
class Planned:
    name: str
    number: int
    adr: ParsedADR
    result: FileResult


def choice_for(choices: dict[str, str] | None, name: str) -> str:
    if not choices:
        return ""
    choice = choices.get(name) or choices.get("*") or ""
    return choice if choice in conflicts.CHOICES else ""


def apply_file(
    plan: Planned,
    log: DecisionLog,
    actor,
    source_label: str,
    change_reason: str,
    choice: str = "",
    data: bytes = b"",
) -> Decision:
    adr = plan.adr
    want = parsed_snapshot(adr)
    source_path = (f"{source_label.rstrip('/')}/{plan.name}" if source_label else plan.name)[-300:]
    if change_reason:
        reason = f"{change_reason}: {plan.name}"[:100]
    else:
        reason = f"imported from {plan.name}"[:100]
    fields = {name: want[name] for name in TEXT_FIELDS if name != "title"}
    fields["decided_on"] = want["decided_on"]
    fields["revisit_by"] = want["revisit_by"]
    fields["source_file"] = want["source_file"]
    fields["source_meta"] = want["source_meta"]
    decision = Decision.objects.filter(log=log, number=plan.number).first()
    if decision is not None and decision_snapshot(decision) == want:
        plan.result.action = "unchanged"
        return decision
    if decision is not None:
        why = conflicts.reasons(decision, title=want["title"], file_name=want["source_file"])
        if why and choice not in ("update", "new"):
            plan.result.action = "skipped" if choice == "skip" else "conflict"
            plan.result.conflict = why
            plan.result.diff = conflicts.diff(decision, data, plan.name)
            plan.result.messages.append(
                "left alone (your choice)"
                if choice == "skip"
                else "needs a choice: update it, import as new, or skip"
            )
            return decision
        if why and choice == "new":
            decision = None
            plan.result.messages.append(f"imported as new instead of #{plan.number}")
    taken = decision is None and Decision.objects.filter(log=log, number=plan.number).exists()
    created = decision is None
    decision = services.decision_save_full(
        actor=actor,
        decision=decision,
        log=log,
        fields={"title": want["title"], "source_path": source_path, **fields},
        tags=want["tags"],
        status=want["status"],
        enforce_lifecycle=False,
        number=None if taken else plan.number,
        reason=reason,
        **part_rows(decision, want),
    )
    plan.result.action = "created" if created else "updated"
    if created:
        plan.result.number = decision.number
    return decision


def part_rows(decision: Decision | None, want: dict) -> dict:
    """The file's options, matrix and sensitivity notes as rows for `decision_save_full`:
    the file holds the whole lists, matched by position (`services.rows_by_position`)."""
    return services.rows_by_position(
        decision,
        options=want["options"],
        criteria=[
            {
                "name": item["name"][:200],
                "description": item["description"][:500],
                "weight": Decimal(item["weight"]),
                "cells": [(option, score, text[:500]) for option, score, text in item["cells"]],
            }
            for item in want["criteria"]
        ],
        notes=[
            {
                "condition": item["condition"][:300],
                "consequence": item["consequence"][:500],
                "favours": item["favours"],
            }
            for item in want["sensitivity"]
        ],
    )

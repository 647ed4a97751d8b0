"""Apply one parsed file to its decision, through `adr.services`: create it, update
what changed (options, matrix, sensitivity notes), or — when it would overwrite a
decision it may not be about (conflicts.py) — leave it for the person importing to
choose."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from adr import services
from adr.models import Decision, DecisionLog

from . import conflicts
from .parse import ParsedADR
from .snapshot import OPTION_FIELDS, TEXT_FIELDS, decision_snapshot, parsed_snapshot

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
    if decision is not None and decision_snapshot(decision) != want:
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
    if decision is None:
        taken = Decision.objects.filter(log=log, number=plan.number).exists()
        decision = services.decision_create(
            actor=actor,
            log=log,
            title=want["title"],
            status=want["status"],
            number=None if taken else plan.number,
            tags=want["tags"],
            reason=reason,
            source_path=source_path,
            **fields,
        )
        apply_parts(decision, want, actor, current=None)
        plan.result.action = "created"
        plan.result.number = decision.number
        return decision
    have = decision_snapshot(decision)
    if have == want:
        plan.result.action = "unchanged"
        return decision
    if want["status"] != have["status"]:
        decision = services.decision_change_status(
            actor=actor,
            decision=decision,
            status=want["status"],
            reason=reason,
            revisit_by=want["revisit_by"],
            enforce_lifecycle=False,
        )
    decision = services.decision_update(
        actor=actor,
        decision=decision,
        tags=want["tags"],
        reason=reason,
        title=want["title"],
        source_path=source_path,
        **fields,
    )
    apply_parts(decision, want, actor, current=have)
    plan.result.action = "updated"
    return decision


def apply_parts(decision: Decision, want: dict, actor, current: dict | None) -> None:
    """Options, then the matrix and sensitivity notes (which refer to options by position)."""
    if current is None or current["options"] != want["options"]:
        existing = list(decision.options.order_by("position", "id"))
        # Unchoose first, so that the one-chosen-option constraint never trips midway.
        for option in existing:
            if option.chosen:
                services.option_save(actor=actor, decision=decision, option=option, chosen=False)
        for i, fields in enumerate(want["options"]):
            option = existing[i] if i < len(existing) else None
            if option is not None:
                have = {
                    n: (getattr(option, n).strip() if n != "chosen" else option.chosen)
                    for n in OPTION_FIELDS
                }
                if have == fields:
                    continue
            services.option_save(
                actor=actor, decision=decision, option=option, position=i, **fields
            )
        for option in existing[len(want["options"]) :]:
            services.option_delete(actor=actor, option=option)
    if current is not None and (
        current["criteria"] == want["criteria"] and current["sensitivity"] == want["sensitivity"]
    ):
        return
    options = list(decision.options.order_by("position", "id"))
    if current is None or current["criteria"] != want["criteria"]:
        for crit in list(decision.criteria.all()):
            services.criterion_delete(actor=actor, criterion=crit)
        for i, item in enumerate(want["criteria"]):
            crit = services.criterion_save(
                actor=actor,
                decision=decision,
                position=i,
                name=item["name"][:200],
                description=item["description"][:500],
                weight=Decimal(item["weight"]),
            )
            for option_index, score, text in item["cells"]:
                services.cell_set(
                    actor=actor,
                    criterion=crit,
                    option=options[option_index - 1],
                    text=text[:500],
                    score=score,
                )
    if current is None or current["sensitivity"] != want["sensitivity"]:
        for note in list(decision.sensitivity_notes.all()):
            services.sensitivity_note_delete(actor=actor, note=note)
        for i, item in enumerate(want["sensitivity"]):
            services.sensitivity_note_save(
                actor=actor,
                decision=decision,
                position=i,
                condition=item["condition"][:300],
                consequence=item["consequence"][:500],
                favours=options[item["favours"] - 1] if item["favours"] else None,
            )

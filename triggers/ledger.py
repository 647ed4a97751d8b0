"""Fired events in the risks ledger chain.

When a trigger on a risk acceptance fires, the firing is a `trigger.fired` event in that
acceptance's chain (written by `Work.flush`, in the sweep's transaction), and the
verifier registered here (apps.py) checks that every chained firing still exists as it
was, and that no fired event on the acceptance's triggers escaped the chain. Deleting a
fired event and re-arming its trigger is therefore seen by `verify_ledger`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from risks.ledger_chain import chain_record
from risks.ledger_registry import ChainEvent, ChainFinding
from risks.signing import plain

from .models import FiredEvent, Trigger

FIRED = "trigger.fired"


def _facts(event: FiredEvent) -> dict:
    return {
        "fired_event": event.pk,
        "trigger": event.trigger_id,
        "generation": event.generation,
        "fired_at": plain(event.fired_at),
        "reason": event.reason,
    }


def chain_fired_events(events: Iterable[FiredEvent], *, actor=None) -> None:
    """Append a `trigger.fired` event to the chain of each fired trigger's acceptance."""
    for event in sorted(events, key=lambda e: e.pk):
        acceptance_id = event.trigger.risk_acceptance_id
        if acceptance_id is None:
            continue
        facts = _facts(event)
        facts["trigger_kind"] = event.trigger.kind
        chain_record(acceptance_id, kind=FIRED, actor=actor, facts=facts)


def verify_fired_events(
    *, acceptance_id: int, events: Sequence[ChainEvent]
) -> Iterable[ChainFinding]:
    # Keyed by what the chain's facts (JSON) say, whatever that is.
    chained: dict[Any, ChainEvent] = {
        e.facts.get("fired_event"): e for e in events if e.kind == FIRED
    }
    stored = {
        f.pk: f
        for f in FiredEvent.objects.filter(trigger__risk_acceptance_id=acceptance_id).order_by("pk")
    }
    triggers: dict[Any, Trigger] = {
        t.pk: t
        for t in Trigger.objects.filter(pk__in={e.facts.get("trigger") for e in chained.values()})
    }
    for pk, chain_event in sorted(chained.items(), key=lambda item: item[1].seq):
        facts = chain_event.facts
        where = f"fired event #{pk} of trigger #{facts.get('trigger')}"
        event = stored.get(pk) or FiredEvent.objects.filter(pk=pk).first()
        trigger = triggers.get(facts.get("trigger"))
        if event is None:
            rearmed = ""
            if trigger is not None and trigger.is_live:
                rearmed = f"; the trigger is {trigger.state} again (re-armed)"
            yield ChainFinding(
                where,
                f"deleted (it fired in generation {facts.get('generation')}, chain event seq "
                f"{chain_event.seq}){rearmed}",
            )
            continue
        now = _facts(event)
        for name in ("trigger", "generation", "fired_at", "reason"):
            if now[name] != facts.get(name):
                yield ChainFinding(
                    f"{where}, field {name}",
                    f"the database has {now[name]!r}, the chain (event seq {chain_event.seq}) "
                    f"has {facts.get(name)!r}",
                )
        if trigger is not None and trigger.generation < (facts.get("generation") or 0):
            yield ChainFinding(
                f"trigger #{trigger.pk}, field generation",
                f"{trigger.generation}, but it fired in generation {facts.get('generation')}",
            )
    started = min((e.at for e in events), default=None)
    for pk, event in stored.items():
        # Firings from before the chain started (an upgrade) were never chained.
        if pk not in chained and started is not None and event.fired_at >= started:
            yield ChainFinding(
                f"fired event #{pk} of trigger #{event.trigger_id}",
                "not in the acceptance's chain: inserted outside the sweep",
            )

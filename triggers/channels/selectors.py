"""Reads: which channels hear a fired event; a log's channels page; the outbox panel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet

from adr.models import DecisionLog
from triggers.models import Trigger

from .models import Channel, ChannelDelivery

D = ChannelDelivery.State
OUTBOX_ROWS = 50


def event_log_ids(event: Any) -> set[int]:
    """The logs of the decisions a fired event's trigger is linked to (prefetched)."""
    trigger = event.trigger
    ids = {decision.log_id for decision in trigger.decisions.all()}
    if trigger.sensitivity_note_id is not None:
        ids.add(trigger.sensitivity_note.decision.log_id)
    return ids


def channels_for_events(*, events: Sequence[Any]) -> dict[int, list[Channel]]:
    """event pk → its active channels: the log-wide channels of its decisions' logs and
    the trigger's own channels, each once. One query whatever the number of events."""
    logs = {event.pk: event_log_ids(event) for event in events}
    all_logs = set().union(*logs.values()) if logs else set()
    trigger_ids = {event.trigger_id for event in events}
    channels = list(
        Channel.objects.filter(active=True).filter(
            Q(log_id__in=all_logs, trigger__isnull=True) | Q(trigger_id__in=trigger_ids)
        )
    )
    out: dict[int, list[Channel]] = defaultdict(list)
    for event in events:
        for channel in channels:
            own = channel.trigger_id == event.trigger_id
            if own or (channel.trigger_id is None and channel.log_id in logs[event.pk]):
                out[event.pk].append(channel)
    return out


def log_triggers(*, log: DecisionLog) -> QuerySet[Trigger]:
    """Triggers linked to a decision of `log` (a channel may be limited to one)."""
    return Trigger.objects.filter(decisions__log=log).distinct().order_by("name")


def log_channels(*, log: DecisionLog) -> list[Channel]:
    """The log's channels with their delivery counts by state (one query)."""
    return list(
        Channel.objects.filter(log=log)
        .select_related("trigger", "created_by")
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__state=D.SENT)),
            waiting=Count(
                "deliveries", filter=Q(deliveries__state__in=[D.PENDING, D.RETRY, D.SENDING])
            ),
            failed=Count("deliveries", filter=Q(deliveries__state__in=[D.FAILED, D.UNCERTAIN])),
        )
        .order_by("-active", "name", "id")
    )


def outbox_panel(*, obj: Any = None, user: Any = None) -> dict[str, Any]:
    """The staff outbox panel: the latest deliveries, failures first, and state counts."""
    counts = dict(ChannelDelivery.objects.values_list("state").annotate(n=Count("id")).order_by())
    deliveries = list(
        ChannelDelivery.objects.select_related("channel__log", "fired_event__trigger").order_by(
            "-created_at", "-id"
        )[:OUTBOX_ROWS]
    )
    return {
        "deliveries": deliveries,
        "counts": [(label, counts.get(value, 0)) for value, label in D.choices],
    }

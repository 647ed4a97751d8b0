"""Reads for trigger pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from adr.models import Decision
from config.dates import format_date

from .access import readable_trigger_q
from .models import Evaluation, FiredEvent, Initiative, Trigger

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from config.accounts.models import User


def trigger_queryset() -> QuerySet[Trigger]:
    return Trigger.objects.select_related("risk_acceptance", "initiative")


# Columns the triggers list does not show (its rows load without them).
LIST_DEFERRED = (
    "description",
    "justification",
    "params",
    "search_document",
    "warnings_sent",
    "extra_addresses",
    "risk_acceptance__risk_statement",
    "risk_acceptance__risk_statement_html",
    "risk_acceptance__scope",
    "risk_acceptance__scope_html",
    "risk_acceptance__residual_risk",
    "risk_acceptance__residual_risk_html",
    "risk_acceptance__search_document",
)


def trigger_list(
    *,
    user: User | AnonymousUser | None = None,
    kind: str = "",
    state: str = "",
    due_within_days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Trigger]:
    now = now or timezone.now()
    qs = (
        trigger_queryset()
        # What the list shows, not every text and JSON column (triggers/index.html).
        .defer(*LIST_DEFERRED)
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("log").only("number", "log__key"),
            )
        )
    )
    if user is not None:
        qs = qs.filter(readable_trigger_q(user))
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if due_within_days is not None:
        qs = qs.filter(
            state__in=Trigger.LIVE_STATES,
            deadline_at__lte=now + timedelta(days=due_within_days),
        )
    return qs.order_by(F("deadline_at").asc(nulls_last=True), "next_check_at", "name", "pk")


@dataclass
class TimelinePoint:
    trigger: Trigger
    at: datetime
    x: float
    label_y: int
    overdue: bool


@dataclass
class Timeline:
    start: datetime
    end: datetime
    width: int
    height: int
    points: list[TimelinePoint]
    ticks: list[tuple[float, str]]


def upcoming_timeline(
    *,
    user: User | AnonymousUser | None = None,
    now: datetime | None = None,
    days: int = 365,
    width: int = 960,
    limit: int = 40,
) -> Timeline:
    """Upcoming deadlines (date and expiry triggers) laid out for an inline SVG."""
    now = now or timezone.now()
    end = now + timedelta(days=days)
    live = Trigger.objects.filter(state__in=Trigger.LIVE_STATES, deadline_at__lte=end)
    if user is not None:
        live = live.filter(readable_trigger_q(user))
    rows = list(live.order_by("deadline_at", "pk")[:limit])
    margin = 20
    span = (end - now).total_seconds()
    points = []
    for i, trigger in enumerate(rows):
        at = trigger.deadline_at
        if at is None:  # excluded by deadline_at__lte; narrows the type
            continue
        fraction = min(max((at - now).total_seconds() / span, 0), 1)
        x = margin + fraction * (width - 2 * margin)
        points.append(TimelinePoint(trigger, at, round(x, 1), 40 + (i % 4) * 16, at < now))
    ticks = []
    for month in range(0, days + 1, 61):
        at = now + timedelta(days=month)
        x = margin + (month / days) * (width - 2 * margin)
        ticks.append((round(x, 1), format_date(at)))
    return Timeline(now, end, width, 120, points, ticks)


def trigger_detail(
    *, pk: int, evaluations: int = 50, user: User | AnonymousUser | None = None
) -> Trigger:
    """One trigger with what its page shows; ``user``: only if they read it
    (triggers.access.readable_trigger_q), else Trigger.DoesNotExist."""
    readable = readable_trigger_q(user) if user is not None else Q()
    trigger = (
        trigger_queryset()
        .filter(readable)
        .select_related("sensitivity_note", "escalation_contact", "mitigation", "created_by")
        .prefetch_related(
            "decisions__log",
            "watchers",
            Prefetch(
                "fired_events",
                queryset=FiredEvent.objects.select_related("acknowledged_by", "resolved_by"),
            ),
        )
        .get(pk=pk)
    )
    trigger.recent_evaluations = list(
        Evaluation.objects.filter(trigger=trigger).order_by("-at", "-id")[:evaluations]
    )
    return trigger


def trigger_history(*, trigger: Trigger) -> QuerySet[Any]:
    return trigger.history.select_related("history_user").order_by("-history_date", "-history_id")


def initiative_list() -> QuerySet[Initiative]:
    return Initiative.objects.all()


def initiative_detail(*, pk: int) -> Initiative:
    return Initiative.objects.prefetch_related(
        Prefetch("triggers", queryset=Trigger.objects.prefetch_related("decisions__log"))
    ).get(pk=pk)

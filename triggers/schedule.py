"""When is a trigger next due: the value of `Trigger.next_check_at` (a UTC instant)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from .models import Initiative, Trigger, start_of_day

K = Trigger.Kind
S = Trigger.State
DEFAULT_METRIC_INTERVAL_MINUTES = 60


def reminder_every() -> timedelta:
    return timedelta(days=settings.LEDGER_REMINDER_EVERY_DAYS)


def next_check(trigger: Trigger, now: datetime) -> datetime | None:
    """When the sweep must look at this trigger next; None when only an event can change it."""
    if trigger.state in (S.ARMED, S.WARNED):
        if trigger.kind in (K.DATE, K.EXPIRY):
            fire_at = trigger.fire_at
            if fire_at is None:
                return None
            pending = [
                at
                for days, at in trigger.warning_instants()
                if days not in trigger.warnings_sent and at < fire_at
            ]
            return min([*pending, fire_at])
        if trigger.kind == K.METRIC:
            if trigger.last_checked_at is None:
                return now
            minutes = trigger.params.get("interval_minutes") or DEFAULT_METRIC_INTERVAL_MINUTES
            return max(trigger.last_checked_at + timedelta(minutes=minutes), now)
        if trigger.kind == K.INITIATIVE:
            initiative = trigger.initiative
            return now if initiative and initiative.status == Initiative.Status.DONE else None
        if trigger.kind == K.MITIGATION_OVERDUE:
            mitigation = trigger.mitigation
            if mitigation is None or mitigation.due_on is None:
                return None
            return start_of_day(mitigation.due_on + timedelta(days=1))
        return None  # webhooks fire when called
    if trigger.state == S.FIRED and trigger.fired_at:
        return trigger.fired_at + reminder_every() * (trigger.reminders_sent + 1)
    return None

"""Writes: add, disable/enable and test a log's channels; queue deliveries of fired events;
staff send a failed or uncertain delivery again."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from adr.access import can_write_log
from adr.models import DecisionLog
from config import bulk
from config.accounts.roles import is_staff
from config.concurrency import check_version, lock, save_changed
from config.history import stamp, tracked_save
from triggers import netguard

from . import payloads, selectors, sending, transport
from .models import Channel, ChannelDelivery

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from config.accounts.models import User
    from triggers.models import Trigger


def can_manage(user: User | AnonymousUser, log: DecisionLog) -> bool:
    """Who writes in the log (adr.access: staff and its architects) manages its channels."""
    return can_write_log(user, log)


def require_manager(user: User | AnonymousUser, log: DecisionLog) -> None:
    if not can_manage(user, log):
        raise PermissionDenied("Only architects and staff manage a log's channels.")


def url_check(*, url: str) -> None:
    """Raise ValidationError on `url` with the guard's reason (the URL, or a redirect it
    leads to, is off the allow-list, private, or unreachable)."""
    try:
        transport.check_target(url)
        transport.check_reachable(url)
    except netguard.GuardError as exc:
        raise ValidationError({"url": str(exc)}) from exc


def channel_create(
    *, actor: User, log: DecisionLog, kind: str, name: str, url: str, trigger: Trigger | None = None
) -> tuple[Channel, str]:
    """Add a channel; returns it and its signing secret ("" unless signed JSON), which is
    shown once and cannot be read back."""
    require_manager(actor, log)
    if trigger is not None and not selectors.log_triggers(log=log).filter(pk=trigger.pk).exists():
        raise ValidationError({"trigger": "The trigger is not linked to a decision of this log."})
    url = url.strip()
    secret = secrets.token_urlsafe(32) if kind == Channel.Kind.SIGNED_JSON else ""
    channel = Channel(
        log=log, trigger=trigger, kind=kind, name=name.strip(), url=url, created_by=actor
    )
    channel.secret = secret
    channel.full_clean()
    url_check(url=url)
    tracked_save(channel, actor=actor, reason="channel added")
    return channel, secret


def channel_set_active(
    *, actor: User, channel: Channel, active: bool, version: int | None = None
) -> Channel:
    """Disable (no new deliveries; queued ones fail as disabled) or enable again."""
    require_manager(actor, channel.log)
    with transaction.atomic():
        row = lock(channel)
        check_version(row, version)
        if row.active != active:
            row.active = active
            save_changed(
                row, fields=["active"], actor=actor, reason="enabled" if active else "disabled"
            )
    return row


def channel_test(*, actor: User, channel: Channel) -> str:
    """Post a test message now (not an event: no outbox row). Returns what the endpoint
    answered; raises ValidationError with the reason it failed."""
    require_manager(actor, channel.log)
    summary = payloads.Summary(
        "Test message from Decision Ledger",
        f"The channel “{channel.name}” of {channel.log.key} is set up.",
        "",
        [("Channel", channel.name)],
        {"event": "channel.test", "channel": channel.name, "log": channel.log.key},
    )
    payload: dict[str, Any]
    if channel.kind == Channel.Kind.SLACK:
        payload = {"text": f"{summary.title}: {summary.reason}"}
    elif channel.kind == Channel.Kind.TEAMS:
        payload = payloads.teams(summary)
        payload["attachments"][0]["content"]["actions"] = []
    else:
        payload = summary.data
    body = json.dumps(payload).encode()
    try:
        response = transport.send(
            "POST",
            channel.url,
            body=body,
            headers=payloads.headers_for(channel, body, delivery_id=None),
        )
    except netguard.GuardError as exc:
        raise ValidationError(str(exc)) from exc
    if not 200 <= response.status < 300:
        raise ValidationError(f"The endpoint answered HTTP {response.status}.")
    return f"The endpoint answered HTTP {response.status}."


def deliveries_queue_for_events(*, events: Sequence[Any]) -> list[ChannelDelivery]:
    """One delivery per fired event and channel (the log's and the trigger's own), written
    in the firing transaction and sent on commit. Registered in triggers.fired_hooks."""
    targets = selectors.channels_for_events(events=events)
    rows = [
        stamp(
            ChannelDelivery(
                channel=channel, fired_event=event, body=payloads.body_for(channel.kind, event)
            ),
            reason="queued: trigger.fired",
        )
        for event in events
        for channel in targets.get(event.pk, [])
    ]
    if not rows:
        return []
    try:
        with transaction.atomic():
            created = bulk.create_with_history(rows, ChannelDelivery)
    except IntegrityError:  # already queued (the event is written once: not expected)
        created = []
    sending.send_on_commit(row.pk for row in created)
    return created


def can_resend(user: User | AnonymousUser) -> bool:
    """Who may send a delivery again: staff (who see the outbox), as for email."""
    return is_staff(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def delivery_resend(*, actor: User, delivery: ChannelDelivery) -> ChannelDelivery:
    """Staff decision to post a *failed* or *uncertain* delivery again: one more attempt,
    now, sent after commit (it fails again at once if that attempt fails: its attempts
    are already spent). An uncertain one may reach the endpoint twice; the signed kind's
    X-Ledger-Delivery header lets a receiver drop the repeat. Raises PermissionDenied for
    anyone but staff, ValidationError (saying why) for any other state or a disabled
    channel; the row is locked, so two clicks queue one send."""
    if not can_resend(actor):
        raise PermissionDenied("Only staff can send a channel delivery again.")
    with transaction.atomic():
        row = lock(delivery)
        if row.state == ChannelDelivery.State.SENT:
            raise ValidationError("It was already delivered: a sent delivery is never sent again.")
        if not row.can_resend:
            raise ValidationError(
                "Only failed or uncertain deliveries can be sent again; this one is "
                f"“{row.get_state_display()}” (it is still on its way)."
            )
        # Not locked: a channel disabled after this check fails the send as disabled
        # (sending.delivery_send reads it again), so nothing is posted to it.
        channel = Channel.objects.get(pk=row.channel_id)
        if not channel.active:
            raise ValidationError(
                f"The channel “{channel.name}” is disabled: enable it on the log’s channels "
                "page first."
            )
        was = row.get_state_display().lower()
        row.state = ChannelDelivery.State.PENDING
        row.next_attempt_at = timezone.now()
        tracked_save(
            row,
            actor=actor,
            reason=f"resend requested by staff (was {was})",
            update_fields=["state", "next_attempt_at"],
        )
        sending.send_on_commit([row.pk])
    return row

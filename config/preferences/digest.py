"""The daily digest: emails a person chose to receive once a day, sent as one email at
``LEDGER_DIGEST_HOUR`` in their time zone, exactly once per day.

Exactly once, even with two beat/worker processes running this at the same moment: the
digest is an outbox row whose dedupe key names the person and their local day (the
outbox's unique key admits one), and the held rows it gathers are locked
(``SELECT … FOR UPDATE``) and moved from *held* to *digested* in the same transaction, so
a concurrent run waits, then finds nothing held.

What the person may no longer read is left out (config.readers): an email held about a
team-private log's document while they were in its team, who has left the team since,
is *cancelled*, not sent in the digest.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from config import readers
from config.history import tracked_save
from config.notifications.models import Notification
from config.notifications.services import notification_enqueue

DIGEST_EVENT = "digest.daily"


def _zone(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _digest_one(user, *, day, now: datetime) -> bool:
    with transaction.atomic():
        held = list(
            Notification.objects.select_for_update()
            .filter(user=user, state=Notification.State.HELD)
            .order_by("created_at", "id")
        )
        if not held:
            return False  # nothing, or a concurrent run took them
        held = _still_told(user, held)
        if not held:
            return False  # every held email was about what they may no longer read
        digest = notification_enqueue(
            recipient=user.email,
            event=DIGEST_EVENT,
            dedupe_key=f"digest:{user.pk}:{day.isoformat()}",
            template="digest-daily",
            context={"items": held, "day": day},
            user=user,
        )
        if digest is None:
            return False  # today's digest already went: these wait for tomorrow's
        for row in held:
            row.state = Notification.State.DIGESTED
            row.sent_at = now
            tracked_save(row, reason=f"in digest {digest.pk}", update_fields=["state", "sent_at"])
        return True


def _still_told(user, held: list[Notification]) -> list[Notification]:
    """Of ``held`` (locked), those ``user`` may still be told about; the others are
    cancelled (they stay in the outbox as a record, never sent)."""
    refs = {(row.subject_type, row.subject_id) for row in held if row.subject_type}
    told = readers.told_refs(user, refs)
    kept = []
    for row in held:
        if not row.subject_type or (row.subject_type, row.subject_id) in told:
            kept.append(row)
            continue
        row.state = Notification.State.CANCELLED
        row.last_error = "Not sent: its reader may no longer read what it is about."
        tracked_save(row, reason="left out of the digest", update_fields=["state", "last_error"])
    return kept


def digests_send_due(*, now: datetime | None = None) -> int:
    """Send the digest of everyone whose digest hour has come today and who has held
    emails. Returns how many digests were queued."""
    now = now or timezone.now()
    user_ids = (
        Notification.objects.filter(state=Notification.State.HELD, user__isnull=False)
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids), is_active=True):
        local = now.astimezone(_zone(user))
        if local.hour < settings.LEDGER_DIGEST_HOUR or not user.email:
            continue
        sent += _digest_one(user, day=local.date(), now=now)
    return sent

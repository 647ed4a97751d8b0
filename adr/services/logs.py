"""Decision logs and the numbering of their decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from config import concurrency
from config.accounts.roles import ARCHITECT, require_role
from config.history import tracked_save

from ..models import DecisionLog

if TYPE_CHECKING:
    from config.accounts.models import User


def log_create(*, actor: User, key: str, name: str, description: str = "") -> DecisionLog:
    require_role(actor, ARCHITECT)
    log = DecisionLog(key=key.strip().upper(), name=name.strip(), description=description)
    log.full_clean()
    tracked_save(log, actor=actor, reason="log created")
    return log


@transaction.atomic
def log_update(
    *,
    actor: User,
    log: DecisionLog,
    name: str,
    description: str = "",
    expected_version: int | None = None,
) -> DecisionLog:
    """Rename a log. Writes only its name and description: the decision counter is the
    numbering's (incremented in the database), never written back from a copy."""
    require_role(actor, ARCHITECT)
    locked = concurrency.lock(log)
    concurrency.check_version(locked, expected_version)
    changed = concurrency.assign(locked, name=name.strip(), description=description)
    if changed:
        locked.full_clean()
        concurrency.save_changed(locked, fields=changed, actor=actor, reason="log edited")
    return locked


def next_number(log: DecisionLog, wanted: int | None = None) -> int:
    """Gap-free, concurrency-safe numbering.

    The UPDATE takes the row lock first (PostgreSQL: a second transaction waits
    until the first commits, then sees its number; SQLite: writers are serialised),
    so two architects creating at once never get the same number. `last_number` is
    a counter outside history, hence the plain UPDATE.
    """
    if wanted is None:
        DecisionLog.objects.filter(pk=log.pk).update(last_number=F("last_number") + 1)
    else:
        DecisionLog.objects.filter(pk=log.pk, last_number__lt=wanted).update(last_number=wanted)
        return wanted
    log.last_number = DecisionLog.objects.values_list("last_number", flat=True).get(pk=log.pk)
    return log.last_number

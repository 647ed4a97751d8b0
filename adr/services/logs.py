"""Decision logs and the numbering of their decisions."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from config import concurrency
from config.accounts.models import Team, User
from config.history import tracked_save

from ..access import require_log_writer
from ..models import DecisionLog

# log_update's "leave the owning team as it is".
KEEP_TEAM = object()


def log_create(
    *,
    actor: User,
    key: str,
    name: str,
    description: str = "",
    team: Team | None = None,
    private: bool = False,
) -> DecisionLog:
    """A new log, organisation-wide (``team`` None) or a team's. Who may create it is who
    may write in it (adr.access)."""
    log = DecisionLog(
        key=key.strip().upper(),
        name=name.strip(),
        description=description,
        team=team,
        private=private,
    )
    require_log_writer(actor, log)
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
    team: Team | None | object = KEEP_TEAM,
    private: bool | None = None,
) -> DecisionLog:
    """Rename a log (and, with ``team``/``private``, move it to another team or make it
    private). Writes only the fields that change: the decision counter is the
    numbering's (incremented in the database), never written back from a copy. Moving a
    log needs write access to it both before and after."""
    require_log_writer(actor, log)
    locked = concurrency.lock(log)
    concurrency.check_version(locked, expected_version)
    require_log_writer(actor, locked)
    values: dict = {"name": name.strip(), "description": description}
    if team is not KEEP_TEAM:
        values["team"] = team
    if private is not None:
        values["private"] = private
    changed = concurrency.assign(locked, **values)
    if {"team", "private"} & set(changed):
        require_log_writer(actor, locked)
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

"""Checks later apps run before a decision's status changes.

``STATUS_CHECKS`` holds callables ``check(*, decision, status, actor) -> str | None``:
each returns why ``decision`` may not move to ``status`` (shown to the person as is),
or None. ``decision_change_status`` runs every check after the lifecycle allows the
move and refuses it with all the reasons returned. A check must not write. (The
reviews app registers "enough approvals of the current version" here.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from config.registry import Registry

if TYPE_CHECKING:
    from .models import Decision


class StatusCheck(Protocol):
    def __call__(self, *, decision: Decision, status: str, actor: object) -> str | None: ...


STATUS_CHECKS: Registry[StatusCheck] = Registry("adr.status_checks", __doc__ or "")


def refusals(*, decision: Decision, status: str, actor: object) -> list[str]:
    """What every registered check says against the move (empty: allowed)."""
    found = (check(decision=decision, status=status, actor=actor) for check in STATUS_CHECKS)
    return [reason for reason in found if reason]

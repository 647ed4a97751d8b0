"""What becomes of a trigger when what it watches leaves the ledger: it is retired.

A trigger's evaluations, fired events and webhook deliveries are audit rows (PROTECT on
their `trigger`, see `config.audit`), so a trigger is never deleted along with what it
watched. Per parent:

- **A mitigation removed from an acceptance** (an ordinary edit of the document through
  `risks.services`, via `risks.hooks.MITIGATION_REMOVING`): its mitigation-overdue
  trigger is *retired* — disarmed with the reason and detached (`mitigation` = NULL; its
  name still says which mitigation it watched). Retire, not refuse: removing a
  mitigation is how the document is corrected (it voids the signatures and asks again),
  and refusing because a sweep once looked at the trigger would freeze the document.
  The trigger stays on the acceptance with its evaluation log and fired events; a
  resolved or already disarmed trigger keeps its state and is only detached.
- **An acceptance, a trigger or a user** is never removed by the app; any delete of one
  with audit rows is *refused* by PROTECT (`ProtectedError`), whatever the path.
- **An initiative** was already PROTECT from its triggers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from config import concurrency

from .models import Trigger

S = Trigger.State
KEEP_STATE = (S.DISARMED, S.RESOLVED)


def mitigation_removing(mitigation, actor, reason: str) -> None:
    """risks.hooks.MITIGATION_REMOVING: retire the triggers watching `mitigation`.

    Runs in the acceptance edit, which holds the acceptance's row lock, while a sweep
    holds trigger locks and then locks acceptances: so the triggers are locked NOWAIT
    (never waiting in the opposite order); if a sweep has one right now, the edit is
    refused with a request to save again, and nothing is changed.
    """
    try:
        with transaction.atomic():
            watching = list(
                Trigger.objects.select_for_update(nowait=True).filter(mitigation=mitigation)
            )
    except DatabaseError as exc:
        raise ValidationError(
            "The trigger watching this mitigation is being checked right now; "
            "save again in a moment."
        ) from exc
    why = f"its mitigation was removed from the acceptance ({reason})"[:200]
    for trigger in watching:
        trigger.mitigation = None
        fields = ["mitigation"]
        if trigger.state not in KEEP_STATE:
            trigger.state = S.DISARMED
            trigger.state_reason = f"disarmed: {why}"[:500]
            trigger.next_check_at = None
            fields += ["state", "state_reason", "next_check_at"]
        # A person's edit retires it: pages loaded before see a conflict (version +1).
        concurrency.save_changed(trigger, fields=fields, actor=actor, reason=f"retired: {why}")

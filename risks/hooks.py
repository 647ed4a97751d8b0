"""Extension points that later apps (triggers) plug into, so risks never imports them.

- SUBMIT_CHECKS: each takes the acceptance and returns an error message or None;
  submitting for signature fails with every message returned.
- ACCEPTANCE_SAVED: each takes (acceptance, actor) and runs after the acceptance is
  created or its content changes (triggers keeps the *expiry* trigger in step).
- MITIGATION_REMOVING: each takes (mitigation, actor, reason) and runs in the edit's
  transaction just before a mitigation is deleted; it retires what points at the
  mitigation (triggers disarms and detaches its overdue trigger, whose evaluations and
  fired events are audit rows) or raises ValidationError to refuse the edit.
"""

from collections.abc import Callable

SUBMIT_CHECKS: list[Callable] = []
ACCEPTANCE_SAVED: list[Callable] = []
MITIGATION_REMOVING: list[Callable] = []

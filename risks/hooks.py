"""Extension points that later apps (triggers) plug into, so risks never imports them.

- SUBMIT_CHECKS: each takes the acceptance and returns an error message or None;
  submitting for signature fails with every message returned.
- ACCEPTANCE_SAVED: each takes (acceptance, actor) and runs after the acceptance is
  created or its content changes (triggers keeps the *expiry* trigger in step).
"""

from collections.abc import Callable

SUBMIT_CHECKS: list[Callable] = []
ACCEPTANCE_SAVED: list[Callable] = []

"""The notification loop in one table: for each event, who hears of it and why.

``docs/notifications.md`` is this table in prose; ``tests/notifications/test_loop.py``
checks every row (who hears, who does not, nobody about their own action).

The roles are filled by the app that raises the event (``audience``'s keyword
arguments); ``config`` names them but never imports the apps:

- ``owner`` — the acceptance's accountable owner;
- ``author`` — who drafted the acceptance and who submitted it for signature;
- ``signatories`` — everyone named to sign it;
- ``awaited`` — signatories who have not signed the current round;
- ``voided`` — signatories whose approval a decline just voided;
- ``watchers`` — a trigger's watch list (plus its extra addresses, as addresses);
- ``escalation`` — a trigger's escalation contact (reminders from the Nth on);
- ``mentioned`` — people a comment mentions with ``@username`` (once per comment);
- ``reviewers`` — people newly asked to review a proposed decision;
- ``author`` (of a decision) — who wrote it, and who asked for its reviews.

Whoever acts is never told of their own action: ``audience`` leaves out ``actor``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    event: str
    hears: tuple[str, ...]
    why: str


TABLE: tuple[Rule, ...] = (
    Rule(
        "signature.requested",
        ("signatories",),
        "They are asked to sign a submitted acceptance (or were added to one).",
    ),
    Rule(
        "signature.rerequested",
        ("signatories",),
        "An edit voided their signature; the new version needs it.",
    ),
    Rule(
        "signature.withdrawn",
        ("awaited",),
        "Their signature is no longer needed (declined, revoked, or they were removed).",
    ),
    Rule(
        "acceptance.signed",
        ("owner",),
        "One more approval of the risk they are accountable for.",
    ),
    Rule(
        "acceptance.declined",
        ("owner", "author", "voided"),
        "The owner is accountable, the author must fix the document, and the approvals "
        "given were voided: they must sign again after the fix.",
    ),
    Rule(
        "acceptance.accepted",
        ("owner", "author", "signatories"),
        "The last signature arrived: the acceptance holds for everyone who took part.",
    ),
    Rule(
        "trigger.warning",
        ("watchers", "owner", "signatories"),
        "A date trigger is N days away.",
    ),
    Rule(
        "trigger.fired",
        ("watchers", "owner", "signatories"),
        "The condition came true: the acceptance no longer holds as signed and its "
        "decisions need review.",
    ),
    Rule(
        "trigger.reminder",
        ("watchers", "owner", "signatories", "escalation"),
        "Nobody has acknowledged a fired trigger (escalated from the Nth reminder).",
    ),
    Rule(
        "trigger.probe_broken",
        ("watchers", "owner", "signatories"),
        "A metric trigger's endpoint keeps failing: the trigger is blind.",
    ),
    Rule(
        "comment.mentioned",
        ("mentioned",),
        "A comment on a decision or acceptance asks for them by name.",
    ),
    Rule(
        "acceptance.review_due",
        ("owner",),
        "Their accepted risk is due for review on its band's cadence.",
    ),
    Rule(
        "review.requested",
        ("reviewers",),
        "They are asked to approve a proposed decision or request changes.",
    ),
    Rule(
        "review.submitted",
        ("author",),
        "The decision's author (and whoever asked for reviews) must act on the verdict.",
    ),
)

RULES: dict[str, Rule] = {rule.event: rule for rule in TABLE}


def audience(event: str, *, actor=None, **people: Iterable) -> list:
    """Who hears of ``event``: the people in the roles the table names for it, each once,
    in role order, without ``actor``. Roles the table does not name for the event are
    ignored (so callers may pass every role they know); a role it names but the caller
    did not pass is an error."""
    rule = RULES[event]
    actor_pk = getattr(actor, "pk", None)
    seen: set = set()
    found = []
    for role in rule.hears:
        if role not in people:
            raise KeyError(f"{event}: the role {role!r} was not given")
        for user in people[role]:
            if user is None or user.pk in seen or (actor_pk is not None and user.pk == actor_pk):
                continue
            seen.add(user.pk)
            found.append(user)
    return found

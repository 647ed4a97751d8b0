"""The acceptance workflow as data: one state machine, used by the services (which
enforce it) and by the pages (which ask it which actions to offer).

    draft ──submit──▶ awaiting ──last approval──▶ accepted
      ▲                 │  ▲ approve (others still awaited), edit (signatures void)
      └────decline──────┘  │
    awaiting | accepted | triggered | expired ──edit──▶ awaiting (a new signing round)
    awaiting | accepted | triggered | expired ──edit by a signatory──▶ draft (risks.duties)
    awaiting | accepted ──trigger──▶ triggered        (the triggers app, through the sweep)
    awaiting | accepted | triggered ──expire──▶ expired
    accepted | triggered | expired ──remediate──▶ remediated
    every state but revoked and remediated ──revoke──▶ revoked

Each :class:`Rule` names the action that causes it, the states it leaves from, the state
it reaches and who may take it (:class:`Who`). A rule marked ``follows`` is not offered
on a page: it happens as a consequence of another action (the last approval accepts;
an edit by a signatory sends the document back to draft). ``system`` rules are the
sweep's; in any other state they are ignored (the sweep is idempotent), where a
person's action in a wrong state is refused with :func:`refusal`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from config import concurrency
from config.clock import ledger_today
from config.history import tracked_save

from . import hooks
from .models import RequiredSignatory, RiskAcceptance, Signature

if TYPE_CHECKING:
    from config.accounts.models import User

S = RiskAcceptance.State


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    LAST_APPROVAL = "last_approval"
    DECLINE = "decline"
    EDIT = "edit"
    SIGNATORY_EDIT = "signatory_edit"
    REVOKE = "revoke"
    REMEDIATE = "remediate"
    TRIGGER = "trigger"
    EXPIRE = "expire"


class Who(StrEnum):
    EDITOR = "editor"  # the accountable owner or an architect (risks.permissions.can_edit)
    SIGNATORY = "signatory"  # a named signatory who may sign now (permissions.may_sign)
    SYSTEM = "system"  # the sweep (actor may be None)


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[str]
    target: str
    who: Who
    label: str
    follows: bool = False  # a consequence of another action, never offered on a page


LIVE = frozenset({S.AWAITING, S.ACCEPTED, S.TRIGGERED, S.EXPIRED})

RULES: tuple[Rule, ...] = (
    Rule(Action.SUBMIT, frozenset({S.DRAFT}), S.AWAITING, Who.EDITOR, "Submit for signature"),
    Rule(Action.APPROVE, frozenset({S.AWAITING}), S.AWAITING, Who.SIGNATORY, "Approve"),
    Rule(
        Action.LAST_APPROVAL,
        frozenset({S.AWAITING}),
        S.ACCEPTED,
        Who.SIGNATORY,
        "Last approval",
        follows=True,
    ),
    Rule(Action.DECLINE, frozenset({S.AWAITING}), S.DRAFT, Who.SIGNATORY, "Decline"),
    Rule(Action.EDIT, frozenset({S.DRAFT}), S.DRAFT, Who.EDITOR, "Edit"),
    Rule(Action.EDIT, LIVE, S.AWAITING, Who.EDITOR, "Edit"),
    Rule(Action.SIGNATORY_EDIT, LIVE, S.DRAFT, Who.EDITOR, "Edit by a signatory", follows=True),
    Rule(Action.REVOKE, frozenset({S.DRAFT, *LIVE}), S.REVOKED, Who.EDITOR, "Revoke"),
    Rule(
        Action.REMEDIATE,
        frozenset({S.ACCEPTED, S.TRIGGERED, S.EXPIRED}),
        S.REMEDIATED,
        Who.EDITOR,
        "Mark remediated",
    ),
    Rule(Action.TRIGGER, frozenset({S.AWAITING, S.ACCEPTED}), S.TRIGGERED, Who.SYSTEM, "Trigger"),
    Rule(
        Action.EXPIRE,
        frozenset({S.AWAITING, S.ACCEPTED, S.TRIGGERED}),
        S.EXPIRED,
        Who.SYSTEM,
        "Expire",
    ),
)

# States whose valid signatures must match the current content (verify_ledger): the
# states an edit voids signatures from.
SIGNED_STATES = frozenset(
    s for r in RULES if r.action == Action.EDIT and r.target == S.AWAITING for s in r.sources
)

# What a state change writes (from the locked row; `transition` bumps the version).
STATE_FIELDS = ["state", "state_reason", "state_changed_at", "version"]


def rule_for(state: str, action: Action | str) -> Rule | None:
    """The rule `action` follows from `state` (None: not allowed from there)."""
    return next((r for r in RULES if r.action == action and state in r.sources), None)


def allows(state: str, action: Action | str) -> bool:
    return rule_for(state, action) is not None


# How a refusal names each action ("… so it cannot be <verb>").
VERBS: dict[Action, str] = {
    Action.SUBMIT: "submitted for signature",
    Action.APPROVE: "signed",
    Action.LAST_APPROVAL: "signed",
    Action.DECLINE: "signed",
    Action.EDIT: "edited",
    Action.SIGNATORY_EDIT: "edited",
    Action.REVOKE: "revoked",
    Action.REMEDIATE: "marked remediated",
    Action.TRIGGER: "triggered",
    Action.EXPIRE: "expired",
}


def refusal(state: str, action: Action) -> ValidationError:
    """The error a service raises for an action not allowed in `state`, naming the
    states it is allowed in (e.g. "This acceptance is draft (not awaiting signatures),
    so it cannot be signed.")."""
    sources = {s for r in RULES if r.action == action for s in r.sources}
    allowed = [str(label).lower() for value, label in S.choices if value in sources]
    return ValidationError(
        f"This acceptance is {str(S(state).label).lower()} (not {_or(allowed)}), "
        f"so it cannot be {VERBS[action]}."
    )


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def require(acceptance: RiskAcceptance, action: Action) -> Rule:
    """The rule for `action` from the acceptance's state, or ValidationError."""
    rule = rule_for(acceptance.state, action)
    if rule is None:
        raise refusal(acceptance.state, action)
    return rule


def actions_for(state: str, who: set[Who]) -> list[Action]:
    """The actions a person in the roles `who` may take from `state` (pages offer these)."""
    return [r.action for r in RULES if state in r.sources and r.who in who and not r.follows]


def transition(acceptance: RiskAcceptance, action: Action, *, reason: str) -> None:
    """Move the locked acceptance along `action` (refused if the machine has no such rule).
    The caller saves STATE_FIELDS (with anything else it changed)."""
    rule = require(acceptance, action)
    acceptance.state = rule.target
    acceptance.state_reason = reason[:500]
    acceptance.state_changed_at = timezone.now()
    # A new state is a new version: an edit page loaded before (whose warning about
    # voiding signatures depended on the state) is refused with what changed.
    concurrency.bump(acceptance)


# --- Before submission ----------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def submit_problems(
    acceptance: RiskAcceptance, *, actor: User | None = None, hook_checks: bool = True
) -> list[str]:
    """Everything that stops this acceptance going to signature (empty list: it may go)."""
    problems: list[str] = []
    signatories = list(RequiredSignatory.objects.filter(acceptance=acceptance))
    if not signatories:
        problems.append("Name at least one signatory.")
    if not acceptance.expires_on:
        problems.append("Set an expiry date.")
    else:
        today = ledger_today()
        months = settings.LEDGER_MAX_ACCEPTANCE_MONTHS
        if acceptance.expires_on < today:
            problems.append("The expiry date is in the past.")
        elif acceptance.expires_on > add_months(today, months):
            problems.append(f"The expiry date is more than {months} months ahead (the policy).")
    if actor is not None and any(s.user_id == actor.pk for s in signatories):
        problems.append(
            "You are a named signatory: someone else must submit it (segregation of duties)."
        )
    for check in hooks.SUBMIT_CHECKS if hook_checks else ():
        message = check(acceptance)
        if message:
            problems.append(str(message))
    return problems


# --- The locked row and its signatures (shared by the services) ----------------------


def lock(acceptance: RiskAcceptance) -> RiskAcceptance:
    """Lock the acceptance row (PostgreSQL: concurrent writers queue here) and re-read it."""
    return RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)


def sync(target: RiskAcceptance, source: RiskAcceptance) -> RiskAcceptance:
    """Let the caller's instance see what the locked copy wrote."""
    if target is not source:
        for field in RiskAcceptance._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
    return source


def signatory_users(acceptance: RiskAcceptance) -> list:
    return [
        line.user
        for line in RequiredSignatory.objects.filter(acceptance=acceptance)
        .select_related("user")
        .order_by("position", "id")
    ]


def awaited_users(acceptance: RiskAcceptance) -> list:
    signed = set(
        Signature.objects.filter(acceptance=acceptance, void=False).values_list(
            "user_id", flat=True
        )
    )
    return [u for u in signatory_users(acceptance) if u.pk not in signed]


def void_signatures(
    acceptance: RiskAcceptance,
    *,
    actor: User,
    reason: str,
    void_reason: str | None = None,
    keep: Signature | None = None,
) -> None:
    """Void every valid signature but `keep`; `void_reason` (default: `reason`) is stored."""
    now = timezone.now()
    signatures = Signature.objects.filter(acceptance=acceptance, void=False).order_by("id")
    if keep is not None:
        signatures = signatures.exclude(pk=keep.pk)
    for sig in signatures:
        sig.void = True
        sig.voided_at = now
        sig.void_reason = (void_reason or reason)[:300]
        tracked_save(
            sig, actor=actor, reason=reason, update_fields=["void", "voided_at", "void_reason"]
        )

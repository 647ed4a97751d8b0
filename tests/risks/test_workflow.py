"""The acceptance state rules, tested once: every (state, action) pair through the services.

`EXPECTED` is the specification, written out here independently of `risks.workflow.RULES`
(so a change to the machine that is not also made here fails): for each action, the
state it leads to from each state it is allowed in. Every other pair is refused with
the machine's message naming where the action is allowed; the sweep's events
(trigger, expire) are ignored instead, since the sweep is idempotent.
"""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from risks import services, workflow
from risks.models import RiskAcceptance
from risks.permissions import allowed_actions
from risks.selectors import acceptances_with_parts
from risks.workflow import Action, Who

pytestmark = pytest.mark.django_db
S = RiskAcceptance.State
D, W, A, T, E, V, R = (
    S.DRAFT,
    S.AWAITING,
    S.ACCEPTED,
    S.TRIGGERED,
    S.EXPIRED,
    S.REVOKED,
    S.REMEDIATED,
)

EXPECTED: dict[Action, dict[str, str]] = {
    Action.SUBMIT: {D: W},
    Action.APPROVE: {W: W},
    Action.LAST_APPROVAL: {W: A},
    Action.DECLINE: {W: D},
    Action.EDIT: {D: D, W: W, A: W, T: W, E: W},
    # An edit by a named signatory sends a signed document back to draft (risks.duties);
    # in a draft it is a plain edit.
    Action.SIGNATORY_EDIT: {D: D, W: D, A: D, T: D, E: D},
    Action.REVOKE: {D: V, W: V, A: V, T: V, E: V},
    Action.REMEDIATE: {A: R, T: R, E: R},
    Action.TRIGGER: {W: T, A: T},
    Action.EXPIRE: {W: E, A: E, T: E},
}
SYSTEM = {Action.TRIGGER, Action.EXPIRE}
# What the acceptance page offers each role, by state (follow-on rules are never offered).
OFFERED = {
    Who.EDITOR: {
        D: {"submit", "edit", "revoke"},
        W: {"edit", "revoke"},
        A: {"edit", "revoke", "remediate"},
        T: {"edit", "revoke", "remediate"},
        E: {"edit", "revoke", "remediate"},
        V: set(),
        R: set(),
    },
    Who.SIGNATORY: {W: {"approve", "decline"}},
}


@pytest.fixture
def people(architect, stakeholder, stakeholder2, stakeholder3):
    return {"architect": architect, "signers": [stakeholder, stakeholder2, stakeholder3]}


def _approve_all(acceptance, people) -> None:
    for user in people["signers"]:
        services.sign_verified(actor=user, acceptance=acceptance, verdict="approve")


def reach(state: str, draft: RiskAcceptance, people) -> RiskAcceptance:
    """`draft` brought to `state` through the services."""
    architect = people["architect"]
    if state == R:
        reach(A, draft, people)
        return services.acceptance_mark_remediated(actor=architect, acceptance=draft)
    if state == V:
        return services.acceptance_revoke(actor=architect, acceptance=draft, reason="withdrawn")
    if state != D:
        services.acceptance_submit(actor=architect, acceptance=draft)
    if state in (A, T, E):
        _approve_all(draft, people)
    if state == T:
        services.acceptance_mark_triggered(acceptance=draft, reason="a trigger fired")
    if state == E:
        services.acceptance_expire(acceptance=draft)
    return draft


def _edit(actor) -> Callable:
    def run(acceptance, people):
        title = f"{acceptance.title} (edited)"
        services.acceptance_update(actor=actor(people), acceptance=acceptance, title=title)

    return run


ACTIONS: dict[Action, Callable] = {
    Action.SUBMIT: lambda a, p: services.acceptance_submit(actor=p["architect"], acceptance=a),
    Action.APPROVE: lambda a, p: services.sign_verified(
        actor=p["signers"][1], acceptance=a, verdict="approve"
    ),
    Action.LAST_APPROVAL: _approve_all,
    Action.DECLINE: lambda a, p: services.sign_verified(
        actor=p["signers"][1], acceptance=a, verdict="decline", reason="not yet"
    ),
    Action.EDIT: _edit(lambda p: p["architect"]),
    # The owner (sam) is also the first named signatory.
    Action.SIGNATORY_EDIT: _edit(lambda p: p["signers"][0]),
    Action.REVOKE: lambda a, p: services.acceptance_revoke(
        actor=p["architect"], acceptance=a, reason="no longer needed"
    ),
    Action.REMEDIATE: lambda a, p: services.acceptance_mark_remediated(
        actor=p["architect"], acceptance=a
    ),
    Action.TRIGGER: lambda a, p: services.acceptance_mark_triggered(acceptance=a, reason="fired"),
    Action.EXPIRE: lambda a, p: services.acceptance_expire(acceptance=a),
}


def test_the_machine_is_the_specification():
    for state in S.values:
        for action in Action:
            rule = workflow.rule_for(state, action)
            assert (rule.target if rule else None) == EXPECTED[action].get(state) or (
                action == Action.SIGNATORY_EDIT and state == D and rule is None
            ), (state, action)
    assert {W, A, T, E} == workflow.SIGNED_STATES


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("state", S.values)
def test_every_action_in_every_state(state, action, draft, people):
    acceptance = reach(state, draft, people)
    assert acceptance.state == state
    target = EXPECTED[action].get(state)
    if target is None and action not in SYSTEM:
        with pytest.raises(ValidationError) as refused:
            ACTIONS[action](acceptance, people)
        allowed = {str(S(s).label).lower() for s in EXPECTED[action]}
        message = refused.value.messages[0]
        assert f"is {str(S(state).label).lower()} (not " in message
        assert all(label in message for label in allowed), message
    else:
        ACTIONS[action](acceptance, people)
    acceptance.refresh_from_db()
    assert acceptance.state == (target or state)


@pytest.mark.parametrize("state", S.values)
def test_pages_offer_what_the_machine_allows_each_role(state, draft, people, outsider):
    acceptance = reach(state, draft, people)
    acceptance = acceptances_with_parts().get(pk=acceptance.pk)
    editor, second_signer = people["architect"], people["signers"][1]
    assert allowed_actions(user=editor, acceptance=acceptance) == OFFERED[Who.EDITOR][state]
    # An approver who has not signed yet (not the owner, so not an editor).
    assert allowed_actions(user=second_signer, acceptance=acceptance) == OFFERED[Who.SIGNATORY].get(
        state, set()
    )
    assert allowed_actions(user=outsider, acceptance=acceptance) == set()


@pytest.mark.parametrize("action", [Action.SUBMIT, Action.EDIT, Action.REVOKE, Action.REMEDIATE])
def test_only_an_editor_takes_an_editors_action(action, draft, people, auditor):
    state = next(iter(EXPECTED[action]))
    acceptance = reach(A if action == Action.REMEDIATE else state, draft, people)
    with pytest.raises(PermissionDenied):
        ACTIONS[action](acceptance, {**people, "architect": auditor, "signers": [auditor]})


@pytest.mark.parametrize(
    "state, action, message",
    [
        (W, Action.SUBMIT, "awaiting signatures (not draft), so it cannot be submitted for "
         "signature"),
        (D, Action.REMEDIATE, "draft (not accepted, triggered or expired), so it cannot be marked "
         "remediated"),
        (R, Action.EDIT, "remediated (not draft, awaiting signatures, accepted, triggered or "
         "expired), so it cannot be edited"),
    ],
)  # fmt: skip
def test_a_refusal_names_every_state_the_action_is_allowed_in(
    state, action, message, draft, people
):
    acceptance = reach(state, draft, people)
    with pytest.raises(ValidationError) as refused:
        ACTIONS[action](acceptance, people)
    assert refused.value.messages == [f"This acceptance is {message}."]


def test_the_reason_of_a_state_change_is_kept_up_to_500_characters(draft, people):
    reason = "x" * 499 + "yz"
    services.acceptance_revoke(actor=people["architect"], acceptance=draft, reason=reason)
    draft.refresh_from_db()
    assert (draft.state, draft.state_reason) == (V, reason[:500])

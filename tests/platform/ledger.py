"""A small ledger with at least one row of every model, made through the services:
a decision with its matrix, a signed acceptance with a mitigation whose overdue trigger
fired, a webhook trigger that was called, an initiative, the outbox, an API token.

The admin and audit-row tests run against it; a new model that the admin registers
needs a row here (the admin test says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import PASSWORD

# The rows nothing may delete or edit (config.audit), by model label.
AUDIT_MODELS = (
    "triggers.Evaluation",
    "triggers.FiredEvent",
    "triggers.WebhookDelivery",
    "risks.Signature",
    "risks.SigningAttempt",
    "notifications.Notification",
)


def history_models() -> list:
    return [m for m in apps.get_models() if hasattr(m, "instance_type")]


def audit_snapshot() -> dict[str, list[tuple]]:
    """Every audit row's full content, and every history row's id: equal before and after
    means nothing was deleted or edited (history may only grow, see `history_ids`)."""
    rows = {}
    for label in AUDIT_MODELS:
        model = apps.get_model(label)
        rows[label] = list(model._base_manager.order_by("pk").values_list())
    return rows


def history_ids() -> dict[str, set]:
    return {
        m._meta.label: set(m._base_manager.values_list("history_id", flat=True))
        for m in history_models()
    }


def assert_history_kept(before: dict[str, set]) -> None:
    after = history_ids()
    for label, ids in before.items():
        assert ids <= after[label], f"history rows of {label} were deleted"


@dataclass
class Ledger:
    decision: object
    acceptance: object
    mitigation: object
    overdue: object  # the mitigation-overdue trigger, fired
    sunset: object  # a date trigger on the acceptance, never fired
    webhook: object  # a webhook trigger, called once
    initiative: object


def build_ledger(*, architect, signers, log, watcher) -> Ledger:
    from adr import services as adr
    from adr.interop.gitsync import log_bind
    from adr.interop.jobs import job_start
    from config.accounts.services import api_token_create, password_reset_request_allowed
    from risks import services as risks
    from triggers.services import initiative_create, trigger_create
    from triggers.sweep import sweep
    from triggers.webhooks import webhook_receive, webhook_signature

    decision = adr.decision_create(actor=architect, log=log, title="Keep tokens", tags=["auth"])
    other = adr.decision_create(actor=architect, log=log, title="Move to a BFF")
    option = adr.option_save(actor=architect, decision=decision, title="BFF", position=0)
    criterion = adr.criterion_save(actor=architect, decision=decision, name="Cost", position=0)
    adr.cell_set(actor=architect, criterion=criterion, option=option, text="high", score=2)
    adr.sensitivity_note_save(
        actor=architect, decision=decision, condition="Not on Vercel?", consequence="BFF wins."
    )
    adr.relation_add(actor=architect, source=decision, target=other, kind="relates_to")

    today = timezone.localdate()
    acceptance = risks.acceptance_create(
        actor=architect,
        title="JS-readable auth tokens",
        risk_statement="An XSS can read the tokens.",
        owner=signers[0],
        expires_on=today + timedelta(days=120),
        decisions=[decision],
        mitigations=[
            {"description": "Strict CSP", "status": "in_place"},
            {"description": "Short tokens", "status": "planned", "due_on": today + timedelta(3)},
        ],
        signatories=[{"user": u, "meaning": f"signer {i}"} for i, u in enumerate(signers)],
    )
    sunset = trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": (today + timedelta(days=90)).isoformat()},
        risk_acceptance=acceptance,
        decisions=[decision],
        watchers=[watcher],
    )
    risks.acceptance_submit(actor=architect, acceptance=acceptance)
    with pytest.raises(ValidationError):  # a failed attempt is an audit row too
        risks.acceptance_sign(
            actor=signers[0], acceptance=acceptance, password="wrong", verdict="approve"
        )
    for user in signers:
        risks.acceptance_sign(
            actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )
    acceptance.refresh_from_db()
    assert acceptance.state == "accepted"
    _governance(
        architect=architect,
        signers=signers,
        log=log,
        other=other,
        acceptance=acceptance,
    )
    mitigation = acceptance.mitigations.get(description="Short tokens")
    overdue = acceptance.triggers.get(kind="mitigation_overdue")
    later = timezone.now() + timedelta(days=5)
    with time_machine.travel(later, tick=False):
        assert sweep().fired == 1
    overdue.refresh_from_db()
    assert overdue.state == "fired"

    webhook = trigger_create(
        actor=architect, name="Pipeline says go", kind="webhook", watchers=[watcher]
    )
    stamp, body = str(int(timezone.now().timestamp())), b'{"go": true}'
    webhook_receive(
        trigger_uuid=webhook.uuid,
        body=body,
        timestamp=stamp,
        signature=webhook_signature(webhook.webhook_secret, stamp, body),
    )
    initiative = initiative_create(actor=architect, name="RBAC")
    api_token_create(user=architect, name="ci")
    password_reset_request_allowed(email=architect.email, ip_address="192.0.2.7")
    log_bind(log=log, repo_url="/nowhere/adrs.git", folder="docs/adr")
    job_start(log=log, actor=architect, name="adrs.zip", data=b"PK", preview=True)
    acceptance.refresh_from_db()
    return Ledger(decision, acceptance, mitigation, overdue, sunset, webhook, initiative)


def _governance(*, architect, signers, log, other, acceptance) -> None:
    """Comments with a mention, a review, the risk policy with a reviewed acceptance, and
    an acceptance signed through single sign-on (with its evidence and one refusal)."""
    import time

    from django.contrib.auth import get_user_model

    from comments.services import comment_post
    from config.accounts.oidc import OidcConfig, OidcRefused, oidc_refusal_record
    from config.accounts.oidc_users import oidc_user_for_claims
    from config.accounts.teams import membership_set, team_create
    from reviews import services as reviews
    from riskpolicy import services as policy
    from riskpolicy.bands import BandRow
    from risks import services as risks
    from risks.signing import acceptance_digest
    from risks.sso_signing import acceptance_sign_sso, sign_nonce
    from triggers.services import trigger_create

    team = team_create(actor=None, name="Identity & Access")
    member = get_user_model().objects.create_user(username="ledger-member")
    membership_set(actor=None, team=team, user=member, role="stakeholder")
    comment_post(actor=architect, document=acceptance, body=f"@{signers[0].username} agreed?")
    reviews.policy_set(actor=architect, log=log, required_approvals=1, deciders_only=False)
    reviews.review_request(actor=architect, decision=other, usernames=[signers[0].username])
    other.refresh_from_db()
    reviews.review_submit(
        actor=signers[0], decision=other, verdict="approve", expected_version=other.version
    )
    staff = get_user_model().objects.create_user(username="ledger-staff", is_staff=True)
    policy.policy_save(actor=staff, rows=[BandRow("All", 1, 25, ["risk owner"], 12, 30)])
    policy.capacity_grant(actor=staff, username=signers[0].username, capacity="risk owner")
    policy.acceptance_review(actor=signers[0], acceptance=acceptance, note="still holds")

    config = OidcConfig(
        discovery_url="https://idp.example.test/.well-known/openid-configuration",
        client_id="ledger",
        client_secret="",
        scopes="openid",
        provider_name="IdP",
        groups_claim="groups",
        group_roles=(("stakeholders", "stakeholder"),),
    )
    issuer = "https://idp.example.test"
    sso = oidc_user_for_claims(
        config=config, claims={"sub": "s-1", "groups": ["stakeholders"]}, issuer=issuer
    )
    oidc_refusal_record(purpose="login", refused=OidcRefused("state", "replayed"))
    policy.capacity_grant(actor=staff, username=sso.username, capacity="risk owner")
    signed = risks.acceptance_create(
        actor=architect,
        title="Signed by single sign-on",
        risk_statement="r",
        owner=signers[0],
        expires_on=timezone.localdate() + timedelta(days=20),
        signatories=[{"user": sso, "meaning": "risk owner"}],
    )
    trigger_create(
        actor=architect,
        name="Soon",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=10)).isoformat()},
        risk_acceptance=signed,
    )
    signed = risks.acceptance_submit(actor=architect, acceptance=signed)
    digest = acceptance_digest(signed)
    binding = {"salt": "s", "user": sso.pk, "digest": digest, "verdict": "approve", "reason": ""}
    nonce = sign_nonce(salt="s", user_id=sso.pk, acceptance_id=signed.pk, digest=digest)
    started = time.time() - 1
    claims = {"iss": issuer, "sub": "s-1", "nonce": nonce, "auth_time": int(time.time())}
    acceptance_sign_sso(
        actor=sso, acceptance=signed, claims=claims, binding=binding, started_at=started
    )

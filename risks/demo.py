"""The case study's risk acceptance: JS-readable Cognito tokens (a pentest finding).

Idempotent: found by title; created, submitted and signed by two of three only once.
"""

from __future__ import annotations

from datetime import timedelta

from adr.models import Decision
from config.clock import ledger_today

from . import services, workflow
from .models import RiskAcceptance

TITLE = "Browser-readable Cognito tokens in non-HttpOnly cookies"
DEMO_AUTH = "seeded demo data (no password re-entered)"

RISK_STATEMENT = (
    "The customer frontends keep the Cognito ID and access tokens in cookies that are **not "
    "HttpOnly**, because the Amplify-based client code reads them to call the API Gateway "
    "with a `Bearer` header. Any script running in our origin — an XSS in our code or a "
    "compromised npm dependency — can read the tokens and replay them from elsewhere until "
    "they expire.\n\nThe pentest rated this *medium*: exploiting it needs a script "
    "injection first."
)

SCOPE = (
    "All Next.js customer frontends on the shared auth domain and the legacy frontends that "
    "share their cookies. Internal tools on separate domains are out of scope."
)

RESIDUAL = (
    "Medium, while the mitigations hold: an injected script could still use a token for at "
    "most its short lifetime. We accept this until the legacy frontends are retired and the "
    "gateway team's RBAC work lets us move to HttpOnly cookies read by a gateway authorizer."
)

MITIGATIONS = [
    (
        "A strict, nonce-based Content Security Policy on every customer frontend "
        "(script-src 'self' with a per-request nonce, no inline handlers), with violation "
        "reports reviewed weekly.",
        "in_place",
        "sofia",
        None,
    ),
    (
        "Short-lived access tokens: access and ID tokens live 5 minutes, refresh tokens are "
        "rotated, so a stolen token is useful only briefly.",
        "in_place",
        "eric",
        None,
    ),
    (
        "Dependency XSS posture: lockfile audit in CI blocks known-vulnerable packages, new "
        "dependencies need a review, and the remaining dangerouslySetInnerHTML uses are "
        "audited.",
        "verified",
        "sofia",
        None,
    ),
    (
        "Foundation work for the real fix: upgrade to Amplify v6 and Cognito managed login, "
        "so that moving tokens to HttpOnly cookies later is a configuration change.",
        "planned",
        "eric",
        90,
    ),
]

SIGNATORIES = [("sam", "risk owner"), ("sofia", "security lead"), ("eric", "engineering lead")]
ALREADY_SIGNED = ("sam", "sofia")


def _deferral() -> Decision | None:
    """The AUTH log's deferral decision, if the adr demo (or anyone) created it."""
    deferred = Decision.objects.filter(log__key="AUTH", status=Decision.Status.DEFERRED)
    return (
        deferred.filter(title__icontains="token").order_by("-number").first()
        or deferred.order_by("-number").first()
    )


def seed(*, users: dict, stdout=None) -> str:
    if RiskAcceptance.objects.filter(title=TITLE).exists():
        return "risks: the case study's acceptance is already there"
    alice, sam = users["alice"], users["sam"]
    today = ledger_today()
    deferral = _deferral()
    acceptance = services.acceptance_create(
        actor=alice,
        title=TITLE,
        finding_source=RiskAcceptance.Source.PENTEST,
        finding_reference="External pentest 2026, finding AUTH-03",
        risk_statement=RISK_STATEMENT,
        likelihood=2,
        impact=4,
        scope=SCOPE,
        residual_risk=RESIDUAL,
        owner=sam,
        expires_on=workflow.add_months(today, 6),
        decisions=[deferral] if deferral else [],
        mitigations=[
            {
                "description": text,
                "status": status,
                "owner": users.get(owner),
                "due_on": today + timedelta(days=due) if due else None,
            }
            for text, status, owner, due in MITIGATIONS
        ],
        signatories=[{"user": users[name], "meaning": meaning} for name, meaning in SIGNATORIES],
        reason="demo data",
    )
    # Without other apps' checks: the triggers app wants a trigger, which the triggers demo
    # adds after us in the same transaction.
    services.acceptance_submit(
        actor=alice,
        acceptance=acceptance,
        reason="submitted for signature (demo data)",
        hook_checks=False,
    )
    for name in ALREADY_SIGNED:
        services.sign_verified(
            actor=users[name], acceptance=acceptance, verdict="approve", auth_method=DEMO_AUTH
        )
    linked = f", linked to {deferral.reference}" if deferral else ""
    return f"risks: “{TITLE}” awaiting Eric's signature (sam and sofia signed){linked}"

"""Signing by SSO users: a fresh sign-in at the provider is the signature's authentication.

The round trip (risks.sso_views): the sign page sends the signer to the provider with
`prompt=login` and `max_age=0`, a fresh state and a nonce bound to the signer, the
acceptance and the digest shown (`sign_nonce`). `acceptance_sign_sso` then signs through
the one signing service (`services.sign_verified`) only if the validated ID token
(config.accounts.oidc.finish: signature, issuer, audience, nonce) is for the signer's
linked provider account and its `auth_time` is fresh: no older than
LEDGER_OIDC_SIGN_MAX_AGE seconds and not before the round trip began. Anything else is
refused and recorded (`OidcRefusal`), and nothing is signed.

The signature records the method: `auth_method` is "OpenID Connect sign-in <digest>",
the digest of (issuer, subject, auth_time), kept in full in `SignatureSsoEvidence`; the
signature hash covers `auth_method`, so the chain covers the evidence.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from config.accounts.oidc import OidcRefused
from config.accounts.oidc_users import linked_identity

from . import services
from .ledger_registry import ChainEvent, ChainFinding
from .models import RiskAcceptance, Signature, SignatureSsoEvidence
from .signing import field_digest

AUTH_METHOD_PREFIX = "OpenID Connect sign-in "
# The provider's clock may run this many seconds behind ours.
CLOCK_SKEW = 5


def sign_nonce(*, salt: str, user_id: int, acceptance_id: int, digest: str) -> str:
    """The nonce of one signing round trip: bound to who signs what, under a fresh salt."""
    value = f"{salt}:{user_id}:{acceptance_id}:{digest}"
    return salted_hmac("risks.sso_signing.nonce", value).hexdigest()


def check_verdict(*, verdict: str, reason: str) -> None:
    if verdict not in Signature.Verdict.values:
        raise ValidationError({"verdict": "Choose approve or decline."})
    if verdict == Signature.Verdict.DECLINE and not (reason or "").strip():
        raise ValidationError({"reason": "Say why you decline."})


def evidence_digest(*, issuer: str, subject: str, auth_time: int) -> str:
    return field_digest({"iss": issuer, "sub": subject, "auth_time": auth_time})


def evidence_matches(signature: Signature) -> bool:
    """True when the signature's `auth_method` names the digest of its stored evidence."""
    evidence = SignatureSsoEvidence.objects.filter(signature=signature).first()
    if evidence is None:
        return not signature.auth_method.startswith(AUTH_METHOD_PREFIX)
    digest = evidence_digest(
        issuer=evidence.issuer,
        subject=evidence.subject,
        auth_time=int(evidence.auth_time.timestamp()),
    )
    return evidence.digest == digest and signature.auth_method == AUTH_METHOD_PREFIX + digest


def _fresh_auth_time(claims: dict, *, started_at: float) -> int:
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
        raise OidcRefused("auth-time", "the ID token has no auth_time")
    age = time.time() - auth_time
    if age > settings.LEDGER_OIDC_SIGN_MAX_AGE:
        raise OidcRefused("stale-auth-time", f"signed in {int(age)} s ago")
    if auth_time + CLOCK_SKEW < int(started_at):
        raise OidcRefused("stale-auth-time", "signed in before the signing round trip")
    return int(auth_time)


def acceptance_sign_sso(
    *,
    actor,
    acceptance: RiskAcceptance,
    claims: dict,
    binding: dict,
    started_at: float,
) -> Signature:
    """Sign `acceptance` for an SSO user from a validated ID token (OidcRefused if not)."""
    identity = linked_identity(actor)
    if identity is None:
        raise OidcRefused("not-linked", "the signer has no linked provider account")
    if claims.get("iss") != identity.issuer or str(claims.get("sub")) != identity.subject:
        raise OidcRefused("subject", "the ID token is for another provider account")
    expected = sign_nonce(
        salt=binding["salt"],
        user_id=actor.pk,
        acceptance_id=acceptance.pk,
        digest=binding["digest"],
    )
    if binding.get("user") != actor.pk or not constant_time_compare(
        str(claims.get("nonce", "")), expected
    ):
        raise OidcRefused("nonce", "the nonce is not bound to this signer and document")
    auth_time = _fresh_auth_time(claims, started_at=started_at)
    check_verdict(verdict=binding["verdict"], reason=binding["reason"])
    digest = evidence_digest(issuer=identity.issuer, subject=identity.subject, auth_time=auth_time)
    with transaction.atomic():
        signature = services.sign_verified(
            actor=actor,
            acceptance=acceptance,
            verdict=binding["verdict"],
            reason=binding["reason"],
            auth_method=AUTH_METHOD_PREFIX + digest,
            expected_digest=binding["digest"],
        )
        SignatureSsoEvidence.objects.create(
            signature=signature,
            issuer=identity.issuer,
            subject=identity.subject,
            auth_time=datetime.fromtimestamp(auth_time, tz=UTC),
            digest=digest,
        )
    return signature


def verify_sso_evidence(*, acceptance_id: int, events: Sequence[ChainEvent]) -> list[ChainFinding]:
    """verify_ledger: every chained signature's SSO evidence still matches its digest."""
    # (A None would be dropped by pk__in anyway.)
    ids = [
        signature_id
        for e in events
        if e.kind == "signed" and (signature_id := e.facts.get("signature")) is not None
    ]
    findings = []
    for signature in Signature.objects.filter(acceptance_id=acceptance_id, pk__in=ids):
        if not evidence_matches(signature):
            findings.append(
                ChainFinding(
                    where=f"signature #{signature.pk}",
                    what="its single sign-on evidence does not match the digest it was signed with",
                )
            )
    return findings

"""Recording signatures and signing attempts (the services decide when; this is how).

- `check_password`: the password re-entered on the signing form, with the lockout
  after too many wrong ones (risks.permissions.signing_locked_until); every attempt,
  right or wrong, is recorded and sealed in the ledger chain (`record_attempt`);
- `signature_write`: one signature on the locked acceptance, bound to the digest of its
  canonical content and chained to the document's previous signature (risks.signing).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.history import tracked_save

from .ledger_chain import chain_record
from .models import RequiredSignatory, RiskAcceptance, Signature, SigningAttempt
from .permissions import signing_locked_until
from .signing import acceptance_digest, signature_compute_hash
from .workflow import lock

PASSWORD_AUTH = "password re-entered on the signing form"


def record_attempt(
    acceptance: RiskAcceptance, user, *, succeeded: bool, ip_address: str | None
) -> None:
    # Its own savepoint: a failure is recorded even though the signing is refused.
    with transaction.atomic():
        lock(acceptance)  # before the insert: the chain seals attempts in their order
        attempt = SigningAttempt(
            acceptance=acceptance, user=user, succeeded=succeeded, ip_address=ip_address
        )
        tracked_save(attempt, actor=user, reason="signing attempt")
        chain_record(
            acceptance,
            kind="signing-attempt",
            actor=user,
            facts={"attempt": attempt.pk, "succeeded": succeeded},
        )


def check_password(
    *, actor, acceptance: RiskAcceptance, password: str, ip_address: str | None
) -> None:
    """Raise ValidationError (and record the failed attempt) unless signing is unlocked
    for `actor` and `password` is theirs."""
    locked_until = signing_locked_until(actor)
    if locked_until is not None:
        record_attempt(acceptance, actor, succeeded=False, ip_address=ip_address)
        local = timezone.localtime(locked_until)
        raise ValidationError(
            {
                "password": "Too many wrong passwords: signing is locked for your account "
                f"until {local:%H:%M %Z}."
            }
        )
    if not password or not actor.check_password(password):
        record_attempt(acceptance, actor, succeeded=False, ip_address=ip_address)
        raise ValidationError({"password": "That password is not right. Nothing was signed."})


def signature_write(
    *,
    actor,
    acceptance: RiskAcceptance,
    line: RequiredSignatory,
    verdict: str,
    reason: str,
    auth_method: str,
    expected_digest: str | None,
) -> Signature:
    """Record `actor`'s signature on the locked `acceptance` (refused if they already
    signed this version, or if the content is no longer what they read)."""
    locked = acceptance
    if Signature.objects.filter(acceptance=locked, user=actor, void=False).exists():
        raise ValidationError("You have already signed this version.")
    digest = acceptance_digest(locked)
    if expected_digest is not None and expected_digest != digest:
        raise ValidationError(
            "The document changed while you were reading it. Read the new version and sign again."
        )
    last = Signature.objects.filter(acceptance=locked).order_by("-id").first()
    signature = Signature(
        acceptance=locked,
        signatory=line,
        user=actor,
        printed_name=actor.printed_name,
        meaning=line.meaning,
        verdict=verdict,
        reason=(reason or "").strip(),
        signed_at=timezone.now(),
        auth_method=auth_method,
        content_digest=digest,
        signing_round=locked.signing_round,
        previous_hash=last.signature_hash if last else "",
    )
    signature.signature_hash = signature_compute_hash(signature)
    tracked_save(
        signature,
        actor=actor,
        reason=f"signed: {signature.get_verdict_display().lower()} as {line.meaning}",
    )
    return signature

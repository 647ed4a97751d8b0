"""Webhook triggers: verifying a signed call and firing the trigger it names.

A call is ``POST /hooks/<trigger-uuid>/`` (the endpoint is `triggers.views.webhook`)
with `X-Ledger-Timestamp` (Unix seconds) and `X-Ledger-Signature`, the hex HMAC-SHA256
of ``"<timestamp>.<body>"`` with the trigger's secret. A refusal raises `WebhookRefused`
and changes nothing; a replay (the same signature again) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .firing import Work
from .models import Evaluation, FiredEvent, Trigger, WebhookDelivery

K = Trigger.Kind


class WebhookRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


SIGNATURE_HEADER = "X-Ledger-Signature"
TIMESTAMP_HEADER = "X-Ledger-Timestamp"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with the trigger's secret."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_receive(
    *, trigger_uuid, body: bytes, timestamp: str, signature: str, now: datetime | None = None
) -> FiredEvent:
    """Verify and apply one webhook call. Raises WebhookRefused (nothing changed) on refusal."""
    now = now or timezone.now()
    signature = (signature or "").strip()
    if signature.startswith("sha256="):
        signature = signature[len("sha256=") :]
    try:
        ts = int((timestamp or "").strip())
    except ValueError as exc:
        raise WebhookRefused(
            400, "bad_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds."
        ) from exc
    if b"\x00" in body:  # stored as text below, which PostgreSQL cannot hold NUL in
        raise WebhookRefused(400, "nul_byte", "The body must not contain NUL bytes.")
    with transaction.atomic():
        trigger = (
            Trigger.objects.select_for_update().filter(uuid=trigger_uuid, kind=K.WEBHOOK).first()
        )
        if trigger is None:
            raise WebhookRefused(404, "unknown_trigger", "No webhook trigger at this URL.")
        expected = webhook_signature(trigger.webhook_secret, str(ts), body)
        if not signature or not hmac.compare_digest(expected, signature.lower()):
            raise WebhookRefused(
                401,
                "bad_signature",
                f"{SIGNATURE_HEADER} is not the HMAC-SHA256 of '<timestamp>.<body>' "
                "with this trigger's secret.",
            )
        if abs(now.timestamp() - ts) > settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRefused(
                401,
                "stale_timestamp",
                f"The timestamp is more than {settings.LEDGER_WEBHOOK_TOLERANCE_SECONDS} s "
                "away from the server's clock.",
            )
        if WebhookDelivery.objects.filter(signature=expected).exists():
            raise WebhookRefused(409, "replay", "This request was already received (replay).")
        if not trigger.is_live:
            raise WebhookRefused(
                409, "not_armed", f"The trigger is {trigger.get_state_display().lower()}."
            )
        try:
            with transaction.atomic():
                WebhookDelivery.objects.create(trigger=trigger, signature=expected, timestamp=ts)
        except IntegrityError as exc:
            raise WebhookRefused(409, "replay", "This request was already received.") from exc
        detail = body[:500].decode(errors="replace")
        work = Work(now)
        work.record(trigger, Evaluation.Outcome.FIRED, observed="webhook call")
        work.fire(
            trigger,
            reason="The webhook was called with a valid signature.",
            details={"body": detail, "timestamp": ts},
        )
        return work.flush()[0]

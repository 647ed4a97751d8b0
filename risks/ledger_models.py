"""The ledger chain's table (imported by risks.models so Django finds it)."""

from __future__ import annotations

from django.db import models


class LedgerEvent(models.Model):
    """One signed fact in an acceptance's chain: append-only, keyed, linked to the one before.

    `payload` is canonical JSON (risks.signing.canonical_json) of the facts, the state of
    the document after them (when it changed) and seals of new history rows; `mac` is the
    HMAC of every column with the key named by `key_id`, which is not in the database.
    The acceptance is referenced without a database constraint, so a chain outlives a
    deleted acceptance and says so.
    """

    acceptance = models.ForeignKey(
        "risks.RiskAcceptance",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="ledger_events",
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    payload = models.TextField()
    key_id = models.CharField(max_length=40)
    previous_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["acceptance_id", "seq"]
        constraints = [
            # One chain per acceptance: two writers can never both append event N.
            models.UniqueConstraint(fields=["acceptance", "seq"], name="ledger_one_event_per_seq"),
        ]

    def __str__(self) -> str:
        return f"acceptance #{self.acceptance_id} event {self.seq} ({self.kind})"

"""Review policy per log, review requests and reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from adr.models import Decision, DecisionLog
from config.history import LedgerHistoricalRecords

MAX_APPROVALS = 10


class ReviewPolicy(models.Model):
    """How many approvals a decision in ``log`` needs before it may be accepted."""

    log = models.OneToOneField(DecisionLog, on_delete=models.PROTECT, related_name="+")
    required_approvals = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_APPROVALS)]
    )
    deciders_only = models.BooleanField(
        default=False,
        help_text="Count only approvals from people named among the decision's deciders.",
    )
    version = models.PositiveIntegerField(default=1)
    history = LedgerHistoricalRecords()

    def __str__(self) -> str:
        return f"{self.log_id}: {self.required_approvals} approval(s)"


class ReviewRequest(models.Model):
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    history = LedgerHistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "reviewer"], name="one_request_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"review of {self.decision_id} asked of {self.reviewer_id}"


class Review(models.Model):
    """One verdict on one version of a decision. Never edited: a new review supersedes it."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approved"
        CHANGES = "changes", "Changes requested"

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    body = models.TextField(blank=True, max_length=10_000)
    body_html = models.TextField(blank=True, editable=False)
    # The decision's version this verdict is about: a later content change dismisses it.
    decision_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # rules.current_reviews: WHERE decision_id = %s ORDER BY created_at, id
            models.Index(fields=["decision", "created_at", "id"], name="review_decision_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.reviewer_id} on v{self.decision_version}"

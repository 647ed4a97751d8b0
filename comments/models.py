"""A comment belongs to exactly one decision or one risk acceptance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from adr.models import Decision
from config.history import LedgerHistoricalRecords
from risks.models import RiskAcceptance

BODY_MAX = 10_000


class Comment(models.Model):
    # related_name "+": adr and risks never see this app (it reads them, not the reverse).
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acceptance = models.ForeignKey(
        RiskAcceptance, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # One level of replies: a reply to a reply is filed under the thread's first comment.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=BODY_MAX)
    body_html = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    history = LedgerHistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(decision__isnull=False, acceptance__isnull=True)
                    | Q(decision__isnull=True, acceptance__isnull=False)
                ),
                name="comment_on_one_document",
            )
        ]
        indexes = [
            # selectors.thread: WHERE decision_id = %s ORDER BY created_at, id
            models.Index(fields=["decision", "created_at", "id"], name="comment_decision_idx"),
            # selectors.thread: WHERE acceptance_id = %s ORDER BY created_at, id
            models.Index(fields=["acceptance", "created_at", "id"], name="comment_accept_idx"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id}"

    def get_absolute_url(self) -> str:
        return f"{self.document.get_absolute_url()}#comment-{self.pk}"

    @property
    def document(self) -> Decision | RiskAcceptance:
        return self.decision if self.decision_id else self.acceptance  # type: ignore[return-value]

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class Mention(models.Model):
    """That a comment mentioned a person (they are notified once per comment)."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_mention_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in comment {self.comment_id}"

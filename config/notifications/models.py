from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Notification(models.Model):
    """One email to one recipient about one event: the outbox row is the record of work.

    Delivery is at most once per `dedupe_key` (event + recipient): the row is claimed
    (state → sending) before the SMTP call. A send that never reported back stays
    *uncertain* and is shown to staff; it is never silently re-sent.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRY = "retry", "Waiting to retry"
        UNCERTAIN = "uncertain", "Uncertain"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        # config.preferences: held for the person's daily digest, then sent in it.
        HELD = "held", "Held for the daily digest"
        DIGESTED = "digested", "Sent in a digest"

    recipient = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # PROTECT (config.audit): an outbox row is never edited by deleting its user.
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    event = models.CharField(max_length=80, help_text="e.g. signature.requested, trigger.fired")
    dedupe_key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When the broker last took a "send this" message for the row; empty while none
    # was taken (the broker was down at commit): the next requeue nudges those at once.
    nudged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Generic pointer to what the email is about (for the outbox page and tests).
    subject_type = models.CharField(max_length=60, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["body_html", "body_text", "nudged_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # notifications_requeue_pending / notification_send: rows still to send by due time.
            models.Index(fields=["state", "next_attempt_at"], name="notif_state_due"),
            models.Index(fields=["subject_type", "subject_id"], name="notif_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.state})"

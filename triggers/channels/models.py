from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Channel(models.Model):
    """Where a decision log's fired triggers are posted (besides email).

    A channel with a `trigger` hears only that trigger; without one, every trigger
    linked to a decision of the `log`. Disabled, never deleted (its deliveries are audit).
    """

    class Kind(models.TextChoices):
        SLACK = "slack", "Slack-compatible incoming webhook"
        TEAMS = "teams", "Microsoft Teams incoming webhook"
        SIGNED_JSON = "json", "JSON webhook signed with HMAC-SHA256"

    log = models.ForeignKey("adr.DecisionLog", on_delete=models.PROTECT, related_name="+")
    trigger = models.ForeignKey(
        "triggers.Trigger", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=2000)
    # Only the signed kind has one; shown once when the channel is added, never in history.
    secret = models.CharField(max_length=100, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # selectors.channels_for_events: the active channels of some logs or triggers.
            models.Index(fields=["log", "active"], name="channel_log_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def shown_url(self) -> str:
        """The URL without its path (webhook paths are secrets of their own)."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/…"


class ChannelDelivery(models.Model):
    """One post of one fired event to one channel: the outbox row, sent at most once
    at a time (claimed before the POST), retried with backoff, failed after N attempts."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRY = "retry", "Waiting to retry"
        UNCERTAIN = "uncertain", "Uncertain"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="deliveries")
    fired_event = models.ForeignKey(
        "triggers.FiredEvent", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["body", "nudged_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly once per (event, channel), whatever path queued it.
            models.UniqueConstraint(
                fields=["fired_event", "channel"], name="channel_delivery_once"
            ),
        ]
        indexes = [
            # sending.deliveries_requeue_pending: rows still to send by due time.
            models.Index(fields=["state", "next_attempt_at"], name="chdel_state_due"),
        ]

    def __str__(self) -> str:
        return f"event {self.fired_event_id} → {self.channel_id} ({self.state})"

    @property
    def can_resend(self) -> bool:
        """Staff may send it again (services.delivery_resend): it failed, or its send
        never reported back. Never once sent, nor while it is still on its way."""
        return self.state in (self.State.FAILED, self.State.UNCERTAIN)

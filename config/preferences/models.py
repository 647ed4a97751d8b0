from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .classes import CLASSES, Mode


class NotificationPreference(models.Model):
    """How one person wants one class of events (no row: email at once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    event_class = models.CharField(max_length=40, choices=[(c.key, c.label) for c in CLASSES])
    mode = models.CharField(max_length=10, choices=Mode.CHOICES, default=Mode.IMMEDIATE)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event_class"], name="one_pref_per_class"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.event_class} → {self.mode}"

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from config.notifications.models import Notification


class NotificationRead(models.Model):
    """That the person a notification was for has read it in the app.

    A notification is *unread* while it has no row here. The outbox row itself is not
    touched (config.notifications owns it); reading never changes what was sent.
    """

    # PROTECT, as the outbox row's own user: neither is ever deleted (config.audit).
    notification = models.OneToOneField(
        Notification, on_delete=models.PROTECT, related_name="read_mark"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notification_reads"
    )
    read_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-read_at"]

    def __str__(self) -> str:
        return f"{self.notification_id} read by {self.user_id}"

import logging
from collections import Counter

from celery import shared_task

from . import sending

log = logging.getLogger(__name__)


@shared_task(name="config.notifications.tasks.send_notification", ignore_result=True)
def send_notification(notification_id: int) -> str:
    """One row (the nudge of earlier versions; kept for messages still in the broker)."""
    return sending.notification_send(notification_id=notification_id)


@shared_task(name="config.notifications.tasks.send_notifications", ignore_result=True)
def send_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send each row of one nudge, in order. Safe to run twice (a row already claimed is
    skipped); a row whose send raises is left to the requeue and the rest go on."""
    outcomes: Counter[str] = Counter()
    for pk in notification_ids:
        try:
            outcomes[sending.notification_send(notification_id=pk)] += 1
        except Exception:  # noqa: BLE001 - the row keeps its state; the requeue finds it
            log.exception("sending notification %s failed", pk)
            outcomes["error"] += 1
    return dict(outcomes)


@shared_task(name="config.notifications.tasks.notifications_requeue_pending", ignore_result=True)
def notifications_requeue_pending() -> dict:
    return sending.notifications_requeue_pending()

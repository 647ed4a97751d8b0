from celery import shared_task

from . import sending


@shared_task(name="config.notifications.tasks.send_notification", ignore_result=True)
def send_notification(notification_id: int) -> str:
    return sending.notification_send(notification_id=notification_id)


@shared_task(name="config.notifications.tasks.notifications_requeue_pending", ignore_result=True)
def notifications_requeue_pending() -> dict:
    return sending.notifications_requeue_pending()

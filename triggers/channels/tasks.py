from celery import shared_task

from . import sending


@shared_task(name="triggers.channels.tasks.send_channel_delivery", ignore_result=True)
def send_channel_delivery(delivery_id: int) -> str:
    """Post one delivery; safe to run twice (a claimed or sent row is skipped)."""
    return sending.delivery_send(delivery_id=delivery_id)


@shared_task(name="triggers.channels.tasks.channel_deliveries_requeue", ignore_result=True)
def channel_deliveries_requeue() -> dict[str, int]:
    return sending.deliveries_requeue_pending()

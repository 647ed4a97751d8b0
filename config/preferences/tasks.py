from celery import shared_task

from . import digest


@shared_task(name="config.preferences.tasks.send_daily_digests", ignore_result=True)
def send_daily_digests() -> int:
    return digest.digests_send_due()

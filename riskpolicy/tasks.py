from celery import shared_task

from config.clock import ledger_today

from . import services


@shared_task(name="riskpolicy.tasks.send_review_reminders", ignore_result=True)
def send_review_reminders() -> int:
    """Idempotent: each reminder has a dedupe key per acceptance and due date."""
    return services.review_reminders_send(today=ledger_today())

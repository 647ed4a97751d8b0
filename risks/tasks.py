from celery import shared_task
from django.conf import settings

from .ledger_checkpoint import checkpoint_publish


@shared_task(name="risks.tasks.ledger_checkpoint", ignore_result=True)
def ledger_checkpoint() -> str:
    """The beat schedule's checkpoint: the same function as `manage.py ledger_checkpoint`.

    Running it twice only writes two lines (each one is a valid checkpoint)."""
    if not settings.LEDGER_CHECKPOINT_DIR:
        return "LEDGER_CHECKPOINT_DIR is not set: no checkpoint written"
    line = checkpoint_publish()
    return f"{len(line['chains'])} of {line['total']} chain head(s) moved"

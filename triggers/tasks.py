from celery import shared_task

from .sweep import sweep


@shared_task(name="triggers.tasks.sweep_triggers", ignore_result=True)
def sweep_triggers() -> str:
    """The beat schedule's sweep: the same function as `manage.py sweep_triggers`."""
    return str(sweep())

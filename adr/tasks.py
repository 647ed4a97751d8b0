"""Celery tasks of the decision log (thin: the work is in adr.interop.gitsync)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="adr.tasks.sync_git_logs", ignore_result=True)
def sync_git_logs() -> None:
    """Pull every log bound to a git folder; safe to run twice (a sync of an unchanged
    commit writes nothing, and the binding row is locked while a sync runs)."""
    from adr.interop.gitsync import GitError, log_sync
    from adr.interop.importer import service_user
    from adr.models import LogGitSource

    actor = service_user()
    for source in LogGitSource.objects.select_related("log").order_by("id"):
        try:
            log_sync(log=source.log, actor=actor)
        except GitError:
            logger.exception("git sync of %s failed", source.log.key)


@shared_task(name="adr.tasks.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> None:
    """A zip import (or its preview) off the request; safe to run twice."""
    from adr.interop.jobs import job_run

    job_run(job_id=job_id)

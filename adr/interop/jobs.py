"""Big zip imports off the request: the upload becomes an `ImportJob` that a Celery
worker runs (the preview as a dry run, then the import with the choices made on it);
the page polls the job's progress.

A job is claimed with a conditional UPDATE (queued → running), so a message delivered
twice runs it once; the zip is re-read and re-checked by the worker.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.db import transaction

from adr.models import DecisionLog, ImportJob

from .archive import ZipRejected, read_zip
from .importer import import_files

logger = logging.getLogger(__name__)
ASYNC_BYTES = 256 * 1024
ASYNC_ENTRIES = 100


def runs_in_background(data: bytes, entries: int) -> bool:
    limit = getattr(settings, "LEDGER_IMPORT_ASYNC_BYTES", ASYNC_BYTES)
    return len(data) > limit or entries > ASYNC_ENTRIES


def job_start(
    *, log: DecisionLog, actor, name: str, data: bytes, preview: bool, choices: dict | None = None
) -> ImportJob:
    """Record the job and queue it once the transaction commits."""
    from adr.tasks import run_import_job

    job = ImportJob.objects.create(
        log=log,
        actor=actor,
        name=name[:200],
        data=data,
        digest=hashlib.sha256(data).hexdigest(),
        preview=preview,
        choices=choices or {},
    )
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


def job_run(*, job_id: int) -> None:
    """Run a queued job (a no-op for one that is running, done, or gone)."""
    if not ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING
    ):
        return
    job = ImportJob.objects.select_related("log", "actor").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(files_done=done, files_total=total)

    try:
        contents = read_zip(bytes(job.data))
        report = import_files(
            files=contents.files,
            log=job.log,
            actor=job.actor,
            source_label=job.name,
            dry_run=job.preview,
            choices=job.choices,
            progress=progress,
        )
    except ZipRejected as exc:
        ImportJob.objects.filter(pk=job_id).update(state=ImportJob.State.FAILED, error=str(exc))
        return
    except Exception as exc:  # a bug must not leave the page polling for ever
        logger.exception("import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.FAILED, error=f"The import failed ({exc.__class__.__name__})."
        )
        raise
    data = report.as_json()
    data["skipped"] = contents.skipped
    total = len(report.results)
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.DONE, report=data, files_done=total, files_total=total
    )

"""ADR files from the web UI: upload a zip (preview, then confirm) and download a log as a zip.

Architects import; every reader downloads. The uploaded zip waits between preview and
confirm in the session (database-backed, so any web process can confirm it), never on
a local disk; confirming re-reads and re-checks it.
"""

from __future__ import annotations

import base64
import hashlib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from adr.models import DecisionLog, ImportJob
from config.accounts.roles import require_reader

from .access import readable_logs, require_log_writer
from .interop.archive import (
    MAX_COMPRESSED,
    MAX_ENTRIES,
    MAX_UNCOMPRESSED,
    ZipRejected,
    log_zip,
    read_zip,
)
from .interop.importer import ImportReport, import_files
from .interop.jobs import job_start, runs_in_background
from .interop.write import FORMATS

SESSION_KEY = "interop_upload"


def _log(request, key: str, *, write: bool = False) -> DecisionLog:
    """The log of the URL if the user reads it (else 404); ``write``: and if they write
    in it (else 403)."""
    require_reader(request.user)
    log = get_object_or_404(readable_logs(request.user), key=key.upper())
    if write:
        require_log_writer(request.user, log)
    return log


def _limits() -> dict:
    return {
        "max_compressed_mb": MAX_COMPRESSED // (1024 * 1024),
        "max_uncompressed_mb": MAX_UNCOMPRESSED // (1024 * 1024),
        "max_entries": MAX_ENTRIES,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def log_import(request, key: str):
    """GET: the upload form. POST: check the zip and show what an import would change."""
    log = _log(request, key, write=True)
    context = {"log": log, "nav": "logs", "error": None, **_limits()}
    if request.method == "GET":
        request.session.pop(SESSION_KEY, None)
        return render(request, "interop/import.html", context)
    upload = request.FILES.get("archive")
    if upload is None:
        context["error"] = "Choose a zip file of ADR Markdown files."
        return render(request, "interop/import.html", context, status=400)
    if upload.size > MAX_COMPRESSED:
        context["error"] = (
            f"The zip is {upload.size / 1048576:.1f} MB; the limit is "
            f"{context['max_compressed_mb']} MB."
        )
        return render(request, "interop/import.html", context, status=400)
    data = upload.read(MAX_COMPRESSED + 1)
    try:
        contents = read_zip(data)
    except ZipRejected as exc:
        context["error"] = str(exc)
        return render(request, "interop/import.html", context, status=400)
    if runs_in_background(data, len(contents.files)):
        job = job_start(log=log, actor=request.user, name=upload.name, data=data, preview=True)
        return redirect("interop:job", key=log.key, job_id=job.pk)
    report = import_files(
        files=contents.files, log=log, actor=request.user, source_label=upload.name, dry_run=True
    )
    digest = hashlib.sha256(data).hexdigest()
    request.session[SESSION_KEY] = {
        "log": log.key,
        "name": upload.name[:200],
        "digest": digest,
        "data": base64.b64encode(data).decode(),
    }
    context.update(
        {
            "report": report,
            "skipped": contents.skipped,
            "upload_name": upload.name,
            "digest": digest,
            "confirm_url": reverse("interop:import-confirm", kwargs={"key": log.key}),
        }
    )
    return render(request, "interop/preview.html", context)


@require_POST
def log_import_confirm(request, key: str):
    log = _log(request, key, write=True)
    pending = request.session.get(SESSION_KEY)
    if (
        not pending
        or pending.get("log") != log.key
        or pending.get("digest") != request.POST.get("digest")
    ):
        messages.error(request, "That upload is no longer waiting; upload the zip again.")
        return redirect("interop:import", key=log.key)
    data = base64.b64decode(pending["data"])
    try:
        contents = read_zip(data)
    except ZipRejected as exc:  # pragma: no cover - it passed the same checks at preview
        messages.error(request, str(exc))
        return redirect("interop:import", key=log.key)
    # A file that would overwrite a decision it may not be about is applied only with
    # the choice made for it on the preview (update / new / skip); else it is left alone.
    choices = _choices(request)
    report = import_files(
        files=contents.files,
        log=log,
        actor=request.user,
        source_label=pending["name"],
        choices=choices,
    )
    request.session.pop(SESSION_KEY, None)
    return render(
        request,
        "interop/result.html",
        {"log": log, "nav": "logs", "report": report, "upload_name": pending["name"]},
    )


def _choices(request) -> dict[str, str]:
    return {
        key.removeprefix("choice:"): value
        for key, value in request.POST.items()
        if key.startswith("choice:")
    }


@never_cache
def log_import_job(request, key: str, job_id: int):
    """A big import's page: progress (polled with htmx), then its preview or result."""
    log = _log(request, key, write=True)
    job = get_object_or_404(ImportJob, pk=job_id, log=log, actor=request.user)
    context = {"log": log, "nav": "logs", "job": job, "upload_name": job.name}
    if job.state == ImportJob.State.DONE:
        context.update(
            {
                "report": ImportReport.from_json(job.report),
                "skipped": job.report.get("skipped", []),
                "digest": job.digest,
                "confirm_url": reverse(
                    "interop:job-confirm", kwargs={"key": log.key, "job_id": job.pk}
                ),
            }
        )
    return render(request, "interop/job.html", context)


@require_POST
def log_import_job_confirm(request, key: str, job_id: int):
    """Import what a finished preview job showed, with the choices made on it."""
    log = _log(request, key, write=True)
    preview = get_object_or_404(
        ImportJob, pk=job_id, log=log, actor=request.user, preview=True, state="done"
    )
    if preview.digest != request.POST.get("digest"):
        messages.error(request, "That upload is no longer waiting; upload the zip again.")
        return redirect("interop:import", key=log.key)
    job = job_start(
        log=log,
        actor=request.user,
        name=preview.name,
        data=bytes(preview.data),
        preview=False,
        choices=_choices(request),
    )
    return redirect("interop:job", key=log.key, job_id=job.pk)


def log_export(request, key: str):
    """Download the log as a zip of its ADR files (?format=madr|nygard; &log4brains=1 for
    MADR that log4brains reads too)."""
    require_reader(request.user)
    log = _log(request, key)
    fmt = request.GET.get("format", "madr")
    if fmt not in FORMATS:
        return HttpResponse(
            f"Unknown format {fmt!r}: choose {' or '.join(FORMATS)}.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    compat = fmt == "madr" and request.GET.get("log4brains") == "1"
    data = log_zip(log, fmt, compat=compat, user=request.user)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{log.key}-adr-{fmt}.zip"'
    return response

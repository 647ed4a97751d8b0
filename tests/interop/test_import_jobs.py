"""A big zip is read and imported by a Celery worker, not by the web request; the page
polls the job's progress (htmx) and then shows the preview, then the result."""

from __future__ import annotations

import pytest

from adr import services
from adr.models import Decision, ImportJob
from tests.conftest import require_redis
from tests.support.celery import celery_processes
from tests.support.wait import wait_until

from .test_zip_upload import _upload, _zip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _adr(i: int) -> bytes:
    return f"# {i}. Decision {i}\n\n## Status\n\nAccepted\n\n## Context\n\nWhy {i}.\n".encode()


def _until(client, url: str, text: str, timeout: float = 90.0) -> str:
    def page_with_text() -> str | None:
        page = client.get(url).content.decode()
        return page if text in page else None

    return wait_until(page_with_text, timeout=timeout, what=f"{text!r} on {url}")


def test_the_progress_page_polls_until_the_job_is_done(login, architect):
    log = services.log_create(actor=architect, key="BIG", name="big")
    job = ImportJob.objects.create(
        log=log, actor=architect, name="adrs.zip", data=b"", digest="x", files_total=40
    )
    ImportJob.objects.filter(pk=job.pk).update(state="running", files_done=12)
    page = login(architect).get(f"/decisions/io/BIG/import/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "12 of 40 files" in page
    assert login(architect).get(f"/decisions/io/OTHER/import/jobs/{job.pk}/").status_code == 404


def test_a_big_zip_is_previewed_then_imported_by_a_worker(login, architect, settings):
    broker = require_redis()
    settings.LEDGER_IMPORT_ASYNC_BYTES = 0  # every zip is "big" here
    log = services.log_create(actor=architect, key="BIG", name="big")
    client = login(architect)
    data = _zip({f"{i:04d}-decision-{i}.md": _adr(i) for i in range(1, 31)})
    with celery_processes(broker_url=broker):
        upload = _upload(client, "BIG", data)
        assert upload.status_code == 302
        job_url = upload["Location"]
        page = _until(client, job_url, "would change")
        assert "30 created" in page and page.count("will be created") == 30
        assert not Decision.objects.filter(log=log).exists()  # a preview saves nothing
        digest = page.split('name="digest" value="')[1].split('"')[0]
        confirm = client.post(f"{job_url}confirm/", {"digest": digest})
        assert confirm.status_code == 302 and confirm["Location"] != job_url
        page = _until(client, confirm["Location"], "Imported")
    assert "30 created" in page
    assert Decision.objects.filter(log=log).count() == 30
    assert list(ImportJob.objects.values_list("state", flat=True)) == ["done", "done"]

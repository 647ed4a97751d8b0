"""Journey 8 in a real browser: a folder of ADRs is uploaded as a zip, previewed, imported,
and the log downloaded back; the API docs render under our CSP. No CSP violation allowed."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from adr.models import Decision
from tests.interop.conftest import CORPORA, corpus_folders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    """Set LEDGER_SCREENSHOTS=/some/dir to look at the pages."""
    folder = os.environ.get("LEDGER_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _corpus_zip(tmp_path):
    folder = next((p for p in corpus_folders() if p.name == "adr-tools"), None)
    if folder is None:
        message = f"the shared ADR corpora are not at {CORPORA}"
        if os.environ.get("LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    target = tmp_path / "adr-tools.zip"
    with zipfile.ZipFile(target, "w") as z:
        for path in sorted(folder.iterdir()):
            z.write(path, f"doc/adr/{path.name}")
    return target


def test_journey_8_an_adr_folder_is_imported_from_a_zip_and_downloaded_back(
    page,
    browser_login,
    architect,
    log,
    tmp_path,
):
    browser_login(page, architect)
    page.goto("/decisions/io/AUTH/import/")
    page.set_input_files("input[name=archive]", str(_corpus_zip(tmp_path)))
    page.click("text=Preview the import")
    page.wait_for_load_state()
    assert "Nothing has been saved yet" in page.content()
    assert page.locator("text=will be created").count() == 9
    _shot(page, "import-preview")
    assert not Decision.objects.exists()
    page.click("text=Import now")
    page.wait_for_load_state()
    assert "9 created, 0 updated, 0 unchanged" in page.content()
    assert Decision.objects.filter(log=log).count() == 9

    with page.expect_download() as info:
        page.evaluate("window.location = '/decisions/io/AUTH/export.zip?format=nygard'")
    data = open(info.value.path(), "rb").read()  # noqa: SIM115
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "AUTH/0009-help-scripts.md" in names


def test_the_api_docs_render_without_loading_anything_external(
    page,
    browser_login,
    auditor,
    live_server,
):
    external = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((live_server.url, "data:")) else external.append(r.url),
    )
    browser_login(page, auditor)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert "Decision Ledger API" in page.content()
    _shot(page, "api-docs")
    assert not external, external

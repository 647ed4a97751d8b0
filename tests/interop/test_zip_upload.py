"""Importing a zip from the web UI (preview, confirm) and downloading a log as a zip."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from adr import services
from adr.interop.archive import MAX_COMPRESSED, ZipRejected, read_zip
from adr.models import Decision

pytestmark = pytest.mark.django_db

ADR = b"# 1. Use Postgres\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\n## Context\n\nA DB.\n"


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _upload(client, key, data, name="adrs.zip"):
    return client.post(
        f"/decisions/io/{key}/import/",
        {"archive": SimpleUploadedFile(name, data, content_type="application/zip")},
    )


def test_an_upload_is_previewed_then_imported_on_confirm(login, architect, log):
    client = login(architect)
    data = _zip({"docs/adr/0001-use-postgres.md": ADR, "docs/adr/README.md": b"x"})
    preview = _upload(client, "AUTH", data)
    assert preview.status_code == 200
    assert b"will be created" in preview.content
    assert b"Nothing has been saved yet" in preview.content
    assert not Decision.objects.exists()
    digest = preview.context["digest"]
    done = client.post("/decisions/io/AUTH/import/confirm/", {"digest": digest})
    assert done.status_code == 200
    assert b"1 created, 0 updated, 0 unchanged" in done.content
    decision = Decision.objects.get(log=log, number=1)
    assert decision.created_by == architect
    assert decision.source_path == "adrs.zip/docs/adr/0001-use-postgres.md"
    again = _upload(client, "AUTH", data)
    assert b"0 created, 0 updated, 1 unchanged" in again.content


def test_a_second_confirm_does_nothing(login, architect, log):
    client = login(architect)
    preview = _upload(client, "AUTH", _zip({"0001-use-postgres.md": ADR}))
    digest = preview.context["digest"]
    client.post("/decisions/io/AUTH/import/confirm/", {"digest": digest})
    again = client.post("/decisions/io/AUTH/import/confirm/", {"digest": digest})
    assert again.status_code == 302
    assert Decision.objects.count() == 1


@pytest.mark.parametrize(
    ("entries", "symlink", "message"),
    [
        ({"../0001-evil.md": ADR}, None, "climbs out of the folder"),
        ({"a/../../0001-evil.md": ADR}, None, "climbs out of the folder"),
        ({"/etc/0001-evil.md": ADR}, None, "is an absolute path"),
        ({"0001-use-postgres.md": ADR}, "0002-link.md", "is a symbolic link"),
        ({"0001-bomb.md": b"\n" * (3 * 1024 * 1024)}, None, "zip bomb"),
    ],
)
def test_dangerous_zips_are_refused_with_a_clear_message(
    login, architect, log, entries, symlink, message
):
    response = _upload(login(architect), "AUTH", _zip(entries, symlink=symlink))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Decision.objects.exists()


def test_a_bomb_that_lies_about_its_sizes_is_stopped_while_reading():
    # Many highly compressible files that together expand past the limit.
    entries = {f"{i:04d}-x.md": b"a" * (1024 * 1024) for i in range(1, 25)}
    data = _zip(entries)
    with pytest.raises(ZipRejected, match="zip bomb|expands to"):
        read_zip(data)


def test_not_a_zip_and_too_big_are_refused(login, architect, log):
    client = login(architect)
    assert "not a zip file" in _upload(client, "AUTH", b"hello").content.decode()
    big = _upload(client, "AUTH", b"0" * (MAX_COMPRESSED + 1))
    assert big.status_code == 400
    assert "the limit is 5 MB" in big.content.decode()


def test_bad_files_in_a_good_zip_are_reported_and_the_rest_imports(login, architect, log):
    client = login(architect)
    data = _zip(
        {
            "0001-use-postgres.md": ADR,
            "0002-empty.md": b"",
            "0003-latin.md": "# Café".encode("latin-1"),
        }
    )
    preview = _upload(client, "AUTH", data)
    content = preview.content.decode()
    assert "empty file; skipped" in content
    assert "not valid UTF-8" in content
    client.post("/decisions/io/AUTH/import/confirm/", {"digest": preview.context["digest"]})
    assert sorted(Decision.objects.values_list("number", flat=True)) == [1, 3]


@pytest.mark.parametrize("persona", ["stakeholder", "auditor", "outsider"])
def test_only_architects_import(login, request, persona, log):
    client = login(request.getfixturevalue(persona))
    assert client.get("/decisions/io/AUTH/import/").status_code == 403
    assert _upload(client, "AUTH", _zip({"0001-use-postgres.md": ADR})).status_code == 403
    assert not Decision.objects.exists()


@pytest.mark.parametrize("fmt", ["madr", "nygard"])
def test_readers_download_a_log_as_a_zip(login, auditor, architect, log, fmt):
    services.decision_create(actor=architect, log=log, title="Use Redis", status="accepted")
    response = login(auditor).get(f"/decisions/io/AUTH/export.zip?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="AUTH-adr-{fmt}.zip"' in response["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["AUTH/0001-use-redis.md"]


def test_outsiders_cannot_download_and_unknown_formats_are_refused(login, outsider, auditor, log):
    assert login(outsider).get("/decisions/io/AUTH/export.zip").status_code == 403
    assert login(auditor).get("/decisions/io/AUTH/export.zip?format=pdf").status_code == 400
    assert login(auditor).get("/decisions/io/NOPE/export.zip").status_code == 404


def test_the_import_page_renders_under_the_csp(login, architect, log):
    page = login(architect).get("/decisions/io/AUTH/import/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "style=" not in html and "onclick" not in html

"""Zip files in (uploads, read defensively) and out (a log's ADR folder).

An upload is refused whole, with a message naming the entry, when it is not a zip, is
too big, has too many entries, holds a path that climbs out (`../`) or starts at the
root, a symlink, an encrypted entry, or expands beyond the limit (a zip bomb). Sizes
are enforced while reading, never trusted from the zip's own headers.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass

from .write import decisions_for_export, filename, render

MAX_COMPRESSED = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 20 * 1024 * 1024
MAX_FILE = 2 * 1024 * 1024
MAX_ENTRIES = 500
MAX_RATIO = 200  # an entry expanding more than this is treated as a bomb


class ZipRejected(ValueError):
    """The upload is refused; the message says why, for the person uploading."""


@dataclass
class ZipContents:
    files: list[tuple[str, bytes]]
    skipped: list[str]


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _check_name(name: str) -> None:
    if "\x00" in name:
        raise ZipRejected(f"“{name!r}” has a NUL byte in its name.")
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        raise ZipRejected(f"“{name}” is an absolute path; only relative paths are accepted.")
    if any(part == ".." for part in normalised.split("/")):
        raise ZipRejected(f"“{name}” climbs out of the folder (../); the upload was refused.")


def read_zip(data: bytes) -> ZipContents:
    """The Markdown files of an uploaded zip (name relative to the zip, content)."""
    if len(data) > MAX_COMPRESSED:
        raise ZipRejected(f"The zip is {_mb(len(data))}; the limit is {_mb(MAX_COMPRESSED)}.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ZipRejected("This is not a zip file (or it is damaged).") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ZipRejected(
                f"The zip has {len(infos)} entries; at most {MAX_ENTRIES} are accepted."
            )
        for info in infos:
            _check_name(info.filename)
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise ZipRejected(f"“{info.filename}” is a symbolic link; links are refused.")
            if info.flag_bits & 0x1:
                raise ZipRejected(f"“{info.filename}” is encrypted; encrypted zips are refused.")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNCOMPRESSED:
            raise ZipRejected(
                f"The zip expands to {_mb(declared)}; the limit is {_mb(MAX_UNCOMPRESSED)}."
            )
        files: list[tuple[str, bytes]] = []
        skipped: list[str] = []
        total = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            base = name.rsplit("/", 1)[-1]
            if info.is_dir() or not base:
                continue
            if base.startswith(".") or name.startswith("__MACOSX/"):
                skipped.append(name)
                continue
            if not base.lower().endswith((".md", ".markdown")):
                skipped.append(name)
                continue
            if info.compress_size and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
                raise ZipRejected(
                    f"“{name}” expands {info.file_size // max(info.compress_size, 1)}-fold: "
                    "this looks like a zip bomb; the upload was refused."
                )
            limit = min(MAX_FILE, MAX_UNCOMPRESSED - total)
            try:
                with archive.open(info) as member:
                    content = member.read(limit + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                raise ZipRejected(f"“{name}” cannot be read from the zip ({exc}).") from exc
            if len(content) > limit:
                if limit < MAX_FILE:
                    raise ZipRejected(
                        f"The files expand beyond {_mb(MAX_UNCOMPRESSED)}: this looks like a "
                        "zip bomb; the upload was refused."
                    )
                raise ZipRejected(f"“{name}” is larger than {_mb(MAX_FILE)}.")
            total += len(content)
            files.append((name, content))
    return ZipContents(files=files, skipped=skipped)


def log_zip(log, fmt: str, *, compat: bool = False, user=None) -> bytes:
    """A zip holding `<KEY>/<file name>` for every decision of the log (`compat`: MADR
    that log4brains reads too; `user`: what they read, see decisions_for_export)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for decision in decisions_for_export(log, user=user):
            text = render(decision, fmt, compat=compat)
            archive.writestr(f"{log.key}/{filename(decision)}", text)
    return buffer.getvalue()

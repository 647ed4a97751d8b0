"""The Markdown an ADR file is made of: decoding, headings, sections, code fences.

Nothing here knows about ADRs; `parse.py` and `sections.py` build on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
BULLET = re.compile(r"^(?P<marker>[-*+]|\d+[.)])[ \t]+(?P<text>.*)$")

# A section as split: (heading text, body lines, the heading line as written).
Section = tuple[str, list[str], str]


def decode(data: bytes, problems: list[str]) -> str:
    """UTF-8 (with or without BOM), else Latin-1 with a problem line; LF line ends."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        problems.append(
            f"not valid UTF-8 (byte 0x{bad:02x} at offset {exc.start}); read as Latin-1, "
            "check accented characters"
        )
        text = data.decode("latin-1")
    if "\x00" in text:
        problems.append("contains NUL bytes; they were removed")
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def outside_fences(lines: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each line with whether it is Markdown (True) or inside/opening/closing a fence."""
    fence: str | None = None
    for line in lines:
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            yield line, False
            continue
        yield line, fence is None


def normalise_heading(text: str) -> str:
    text = COMMENT.sub("", text)
    text = LINK.sub(r"\1", text)
    text = text.strip().strip("*_`").strip()
    text = re.sub(r"^\d+(\.\d+)*\.?\s+", "", text)
    text = text.rstrip(":").strip().lower()
    return re.sub(r"\s+", " ", text)


def plain(text: str) -> str:
    """Text without Markdown links/emphasis, lower-cased: for matching names."""
    text = LINK.sub(r"\1", text)
    text = re.sub(r"[*_`\"']", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def plain_title(text: str) -> str:
    """A title as text: links become their text, comments go (case kept)."""
    text = COMMENT.sub("", text)
    text = LINK.sub(r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def strip_block(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def split_sections(
    lines: list[str], level: int, *, exact: bool = False
) -> tuple[list[str], list[Section]]:
    """Split at headings of `level` (or higher; only `level` if `exact`), ignoring fenced
    code blocks."""
    preamble: list[str] = []
    sections: list[Section] = []
    current = preamble
    for line, markdown in outside_fences(lines):
        if markdown:
            h = HEADING.match(line)
            if h and (len(h.group(1)) == level if exact else len(h.group(1)) <= level):
                current = []
                sections.append((h.group(2), current, line))
                continue
        current.append(line)
    return preamble, sections


def stick(
    sections: list[Section], key_of: Callable[[str], str | None], sticky: set[str]
) -> list[tuple[str | None, str, list[str], str]]:
    """(key, heading, body, raw heading line) per section; an unknown one right after a
    sticky one joins it, heading line and all (a field's own Markdown may have headings)."""
    out: list[tuple[str | None, str, list[str], str]] = []
    for heading, body, raw in sections:
        key = key_of(heading)
        if key is None and out and out[-1][0] in sticky:
            out[-1][2].extend([raw, *body])
            continue
        out.append((key, heading, list(body), raw))
    return out


def dedent(lines: list[str]) -> list[str]:
    """Lines without their common leading indentation (blank lines kept)."""
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] if line.strip() else "" for line in lines]

"""YAML front matter, kept verbatim: each top-level key with the exact text it was
written as (`nav_order: 0032` stays `0032`, comments and quoting stay), so that an
export writes the block back as it came and only rewrites a key whose value changed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import yaml

KEY_LINE = re.compile(r"^(?P<key>[^\s#:\-][^:]*?)\s*:(?:[ \t]|$)")

Chunk = list[str]  # [key, text as written] — a list so that it survives JSON


def split(lines: list[str]) -> tuple[list[str] | None, list[str]]:
    """(front matter lines or None, the rest)."""
    if not lines or lines[0].strip() != "---":
        return None, lines
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return None, lines
    return lines[1:end], lines[end + 1 :]


def chunks(block: list[str]) -> list[Chunk]:
    """Top-level keys in order, each with its lines (continuations, comments before
    the next key); lines before the first key form a chunk with key ""."""
    out: list[Chunk] = []
    for line in block:
        m = KEY_LINE.match(line)
        if m:
            out.append([m.group("key").strip(), line])
        elif out:
            out[-1][1] += "\n" + line
        else:
            out.append(["", line])
    return out


def load(block: list[str]) -> dict:
    """The block as YAML; raises yaml.YAMLError, or ValueError if it is not a mapping."""
    text = "\n".join(block)
    loaded = yaml.safe_load(text) if text.strip() else {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ValueError("front matter is not a mapping")
    return loaded


def chunk_value(chunk: Chunk) -> Any:
    """What a chunk means (None if it cannot be read on its own)."""
    key, text = chunk
    if not key:
        return None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return loaded.get(key) if isinstance(loaded, dict) else None


def as_text(value: Any) -> Any:
    """A loaded value in JSON-safe, comparable form (dates as ISO text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [as_text(v) for v in value]
    if isinstance(value, dict):
        return {str(k): as_text(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def dump(key: str, value: Any) -> str:
    """A fresh chunk for `key`."""
    return yaml.safe_dump(
        {key: value}, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False
    ).rstrip("\n")


def render(chunk_texts: list[str]) -> str:
    if not chunk_texts:
        return "---\n---"
    return "---\n" + "\n".join(chunk_texts) + "\n---"

"""The ADR importer at scale: N generated MADR files (front matter, context, drivers,
4 options with pros and cons, an outcome, consequences) imported into a new log
through `adr.interop.importer.import_files`, as `manage.py import_adrs` does."""

from __future__ import annotations

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from adr import services
from adr.interop.importer import import_files

from .dataset import WORDS


def _words(seed: int, n: int) -> str:
    return " ".join(WORDS[(seed * 7919 + k * 104729) % len(WORDS)] for k in range(n))


def madr(number: int) -> str:
    """One MADR 3/4 file, ~2 KB, as the MADR template lays it out."""
    options = [f"Option {k}: {_words(number + k, 3)}" for k in range(1, 5)]
    pros_cons = "\n\n".join(
        f"### {title}\n\n{_words(number + k, 20)}\n\n"
        f"* Good, because {_words(number + k + 1, 8)}\n"
        f"* Neutral, because {_words(number + k + 2, 6)}\n"
        f"* Bad, because {_words(number + k + 3, 8)}"
        for k, title in enumerate(options, start=1)
    )
    return f"""---
status: accepted
date: 2025-{1 + number % 12:02d}-{1 + number % 28:02d}
deciders: Bench User 1, Bench User 2
consulted: Bench User 3
informed: everyone
---
# {_words(number, 5).title()} {number}

## Context and Problem Statement

{_words(number + 1, 60)}

## Decision Drivers

* {_words(number + 2, 6)}
* {_words(number + 3, 6)}

## Considered Options

{chr(10).join(f"* {title}" for title in options)}

## Decision Outcome

Chosen option: "{options[1]}", because {_words(number + 4, 25)}

### Consequences

* Good, because {_words(number + 5, 12)}
* Bad, because {_words(number + 6, 12)}

### Confirmation

{_words(number + 7, 10)}

## Pros and Cons of the Options

{pros_cons}

## More Information

{_words(number + 8, 15)}
"""


def files(count: int) -> list[tuple[str, bytes]]:
    return [
        (f"{n:04d}-{_words(n, 3).replace(' ', '-')}.md", madr(n).encode())
        for n in range(1, count + 1)
    ]


def import_run(architect, *, count: int) -> dict:
    """Import `count` files into a new log: seconds, files per second, queries."""
    folder = files(count)
    key = f"IMP{int(time.time()) % 100000}"
    log = services.log_create(actor=architect, key=key, name=f"Import benchmark {key}")
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        report = import_files(files=folder, log=log, actor=architect, source_label="bench")
        seconds = time.perf_counter() - started
    return {
        "files": count,
        "imported": report.imported,
        "problems": report.problem_count,
        "seconds": seconds,
        "queries": len(captured.captured_queries),
        "kb": sum(len(body) for _, body in folder) / 1024,
    }

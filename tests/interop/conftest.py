from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# CI clones the repo with shared/ beside it; locally /work/shared sits beside /work/main.
CORPORA = REPO.parent / "shared" / "corpora"


def corpus_folders() -> list[Path]:
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.iterdir() if p.is_dir())


@pytest.fixture
def corpora() -> list[Path]:
    folders = corpus_folders()
    if not folders:
        message = f"the shared ADR corpora are not at {CORPORA} (CI has them beside the clone)"
        if os.environ.get("LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return folders

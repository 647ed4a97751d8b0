from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    """CI clones the repo with shared/ beside it; a worktree sits one level deeper
    (/work/wt/NAME beside /work/shared); LEDGER_SHARED names another place."""
    if os.environ.get("LEDGER_SHARED"):
        return Path(os.environ["LEDGER_SHARED"])
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "corpora").is_dir():
            return base / "shared"
    return REPO.parent / "shared"


SHARED = _shared()
CORPORA = SHARED / "corpora"
CORPORA_NEXT = SHARED / "corpora-next"


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir())


def corpus_folders() -> list[Path]:
    """The folders of ../shared/corpora (the line-level checks run on these)."""
    return _folders(CORPORA)


def all_corpus_folders() -> list[Path]:
    """corpora and corpora-next (the round trip runs on both)."""
    return _folders(CORPORA) + _folders(CORPORA_NEXT)


def _require(folders: list[Path]) -> list[Path]:
    if not folders:
        message = f"the shared ADR corpora are not at {CORPORA} (CI has them beside the clone)"
        if os.environ.get("LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return folders


@pytest.fixture
def corpora() -> list[Path]:
    return _require(corpus_folders())

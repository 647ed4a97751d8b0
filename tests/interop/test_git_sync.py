"""A log bound to a folder in a git repository: sync imports only what a commit
changed, recording its SHA, and --push writes the log back as a commit on a branch.
Local repositories only (`git init`), never the network."""

from __future__ import annotations

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from adr import services
from adr.models import Decision, LogGitSource

pytestmark = pytest.mark.django_db

FIRST = "# 1. Use Postgres\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\n## Context\n\nA DB.\n"
SECOND = "# 2. Use Redis\n\n## Status\n\nProposed\n\n## Context\n\nA cache.\n"


@pytest.fixture
def upstream(tmp_path, settings) -> Path:
    if shutil.which("git") is None:
        if os.environ.get("LEDGER_REQUIRE_SERVICES") == "1":
            pytest.fail("git is not installed", pytrace=False)
        pytest.skip("git is not installed")
    settings.LEDGER_GIT_DIR = str(tmp_path / "clones")
    repo = tmp_path / "upstream"
    (repo / "docs" / "adr").mkdir(parents=True)
    _git(repo, "init", "--quiet", "-b", "main")
    return repo


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / "docs" / "adr" / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _sync(*args: str) -> str:
    out = StringIO()
    call_command("sync_adrs", "--log", "GIT", *args, stdout=out)
    return out.getvalue()


def test_a_sync_imports_only_what_the_commit_changed_and_records_its_sha(architect, upstream):
    log = services.log_create(actor=architect, key="GIT", name="git")
    first = _commit(
        upstream, {"0001-use-postgres.md": FIRST, "0002-use-redis.md": SECOND}, "two ADRs"
    )
    out = _sync("--repo", str(upstream), "--folder", "docs/adr")
    assert "2 created" in out
    postgres = Decision.objects.get(log=log, number=1)
    assert postgres.history.first().history_change_reason == f"git {first}: 0001-use-postgres.md"
    assert LogGitSource.objects.get(log=log).last_sha == first

    second = _commit(
        upstream, {"0002-use-redis.md": SECOND.replace("A cache.", "A faster cache.")}, "edit"
    )
    postgres_history = postgres.history.count()
    out = _sync()
    assert f"synced {first} → {second}" in out
    assert "changed   0002-use-redis.md" in out and "0001-use-postgres.md" not in out
    assert "0 created, 1 updated" in out
    redis = Decision.objects.get(log=log, number=2)
    assert redis.context == "A faster cache."
    assert redis.history.first().history_change_reason == f"git {second}: 0002-use-redis.md"
    assert postgres.history.count() == postgres_history  # untouched
    assert LogGitSource.objects.get(log=log).last_sha == second

    assert f"up to date at {second}" in _sync()


def test_push_writes_the_log_back_as_a_commit_on_its_branch(architect, upstream):
    log = services.log_create(actor=architect, key="GIT", name="git")
    _commit(upstream, {"0001-use-postgres.md": FIRST, "0002-use-redis.md": SECOND}, "two ADRs")
    _sync("--repo", str(upstream), "--folder", "docs/adr")
    postgres = Decision.objects.get(log=log, number=1)
    services.decision_update(actor=architect, decision=postgres, context="A DB, chosen twice.")
    new = services.decision_create(actor=architect, log=log, title="Use Kafka", status="proposed")

    out = _sync("--push")
    pushed = out.strip().rsplit("pushed ", 1)[1].split()[0]
    assert _git(upstream, "rev-parse", "decision-ledger") == pushed
    names = _git(upstream, "ls-tree", "--name-only", "decision-ledger", "docs/adr/").split()
    # File names kept; the decision made in the ledger gets NNNN-slug.md.
    assert names == [
        "docs/adr/0001-use-postgres.md",
        "docs/adr/0002-use-redis.md",
        f"docs/adr/{new.number:04d}-use-kafka.md",
    ]
    text = _git(upstream, "show", "decision-ledger:docs/adr/0001-use-postgres.md")
    # Written as the file was laid out (its Date: line first), as MADR.
    assert text.startswith("# 1. Use Postgres\n\nDate: 2024-01-02\nStatus: Accepted\n")
    assert "A DB, chosen twice." in text
    # The main branch is untouched; pushing again without a change commits nothing.
    assert "chosen twice" not in (upstream / "docs/adr/0001-use-postgres.md").read_text()
    assert "nothing to push" in _sync("--push")


def test_the_scheduled_task_syncs_every_bound_log(architect, upstream):
    from adr.tasks import sync_git_logs

    log = services.log_create(actor=architect, key="GIT", name="git")
    first = _commit(upstream, {"0001-use-postgres.md": FIRST}, "one ADR")
    _sync("--repo", str(upstream), "--folder", "docs/adr")
    second = _commit(upstream, {"0002-use-redis.md": SECOND}, "another")
    sync_git_logs()  # what beat runs (called directly: the work, not the broker)
    assert LogGitSource.objects.get(log=log).last_sha == second != first
    redis = Decision.objects.get(log=log, number=2)
    assert redis.history.first().history_change_reason == f"git {second}: 0002-use-redis.md"
    sync_git_logs()  # twice is harmless: the commit did not move
    assert redis.history.count() == 1

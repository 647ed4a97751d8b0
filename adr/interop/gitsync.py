"""A log bound to a folder in a git repository: pull and import, export and push.

Git itself does the work (subprocess, no shell); the working clone lives under
`LEDGER_GIT_DIR` (default var/git/<KEY>). A sync fetches the bound branch, imports
the folder when its commit moved — every history row it writes carries the commit
SHA as its reason — and remembers the commit. A push writes the log back into the
folder (file names kept, see write.py) and commits it on its own branch.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from adr.models import DecisionLog, LogGitSource
from config.history import tracked_save

from .importer import ImportReport, import_files
from .write import decisions_for_export, filename, render

GIT_TIMEOUT = 120
AUTHOR = ("Decision Ledger", "ledger@localhost")


class GitError(RuntimeError):
    """git failed; the message is git's own."""


@dataclass
class SyncResult:
    sha: str
    previous: str
    changed: list[str] = field(default_factory=list)
    report: ImportReport | None = None
    pushed: str = ""  # the commit pushed, if any


def git(*args: str, cwd: Path | None = None) -> str:
    executable = shutil.which("git")
    if executable is None:
        raise GitError("git is not installed on this server")
    try:
        # A list, no shell; URLs and paths come after "--" where git allows it.
        done = subprocess.run(  # noqa: S603
            [executable, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]}: {exc}") from exc
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args[:2])}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def clone_dir(source: LogGitSource) -> Path:
    base = Path(getattr(settings, "LEDGER_GIT_DIR", "") or Path(settings.VAR_DIR) / "git")
    return base / source.log.key


def _checkout(source: LogGitSource) -> tuple[Path, str]:
    """Fetch the bound branch into the working clone; (clone, commit)."""
    work = clone_dir(source)
    if not (work / ".git").is_dir():
        work.parent.mkdir(parents=True, exist_ok=True)
        git("clone", "--quiet", "--no-checkout", "--", source.repo_url, str(work))
    git("fetch", "--quiet", "origin", source.branch, cwd=work)
    git("checkout", "--quiet", "--force", "-B", source.branch, "FETCH_HEAD", cwd=work)
    return work, git("rev-parse", "HEAD", cwd=work)


def _folder_files(work: Path, folder: str) -> list[tuple[str, bytes]]:
    root = (work / folder).resolve()
    if not root.is_relative_to(work.resolve()) or not root.is_dir():
        raise GitError(f"{folder or '.'} is not a folder of the repository")
    return [
        (entry.name, entry.read_bytes())
        for entry in sorted(root.iterdir())
        if entry.is_file() and not entry.is_symlink()
    ]


def log_bind(
    *, log: DecisionLog, repo_url: str, branch: str = "main", folder: str = ""
) -> LogGitSource:
    source, _ = LogGitSource.objects.get_or_create(
        log=log, defaults={"repo_url": repo_url, "branch": branch or "main", "folder": folder}
    )
    changed = {
        name: value
        for name, value in (("repo_url", repo_url), ("branch", branch), ("folder", folder))
        if value and getattr(source, name) != value
    }
    if changed:
        for name, value in changed.items():
            setattr(source, name, value)
        source.last_sha = ""  # another place: import it all again
        tracked_save(source, reason="git binding changed", update_fields=[*changed, "last_sha"])
    return source


def log_sync(*, log: DecisionLog, actor) -> SyncResult:
    """Pull and import what changed since the last sync (nothing if the commit is the
    same). Two syncs of one log never run at once: the binding row is locked."""
    with transaction.atomic():
        source = LogGitSource.objects.select_for_update().select_related("log").get(log=log)
        work, sha = _checkout(source)
        result = SyncResult(sha=sha, previous=source.last_sha)
        if sha == source.last_sha:
            return result
        prefix = f"{source.folder.strip('/')}/" if source.folder.strip("/") else ""
        if source.last_sha:
            diff = git("diff", "--name-only", source.last_sha, sha, "--", prefix or ".", cwd=work)
            names = [p[len(prefix) :] for p in diff.splitlines() if p.startswith(prefix)]
            result.changed = [name for name in names if "/" not in name]
        files = _folder_files(work, source.folder)
        if source.last_sha:
            wanted = set(result.changed)
            files = [(name, data) for name, data in files if name in wanted]
        else:
            result.changed = [name for name, _ in files]
        if files:
            result.report = import_files(
                files=files,
                log=source.log,
                actor=actor,
                source_label=f"{source.repo_url}@{sha[:12]}:{source.folder}",
                change_reason=f"git {sha}",
            )
        source.last_sha = sha
        source.last_synced_at = timezone.now()
        tracked_save(
            source,
            actor=actor,
            reason=f"synced to {sha}",
            update_fields=["last_sha", "last_synced_at"],
        )
    return result


def log_push(*, log: DecisionLog, actor, message: str = "") -> str:
    """Write the log into the folder and commit it on the push branch; the commit
    ("" when nothing changed)."""
    with transaction.atomic():
        source = LogGitSource.objects.select_for_update().select_related("log").get(log=log)
        work, base = _checkout(source)
        try:  # what the push branch holds now, to push nothing when nothing changed
            git("fetch", "--quiet", "origin", source.push_branch, cwd=work)
            pushed_tree = git("rev-parse", "FETCH_HEAD^{tree}", cwd=work)
        except GitError:
            pushed_tree = ""
        git("checkout", "--quiet", "-B", source.push_branch, base, cwd=work)
        folder = (work / source.folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        for decision in decisions_for_export(source.log):
            (folder / filename(decision)).write_text(
                render(decision, source.export_format), encoding="utf-8"
            )
        git("add", "--all", "--", source.folder or ".", cwd=work)
        if not git("status", "--porcelain", cwd=work) or git("write-tree", cwd=work) == pushed_tree:
            return ""
        who = getattr(actor, "display_name", "") or getattr(actor, "username", "") or AUTHOR[0]
        git(
            "-c",
            f"user.name={who}",
            "-c",
            f"user.email={AUTHOR[1]}",
            "commit",
            "--quiet",
            "-m",
            message or f"Decision Ledger: log {source.log.key}",
            cwd=work,
        )
        sha = git("rev-parse", "HEAD", cwd=work)
        git(
            "push",
            "--quiet",
            "--force",
            "origin",
            f"{source.push_branch}:{source.push_branch}",
            cwd=work,
        )
        return sha

"""``python -m tests.mutations [--only TEXT] [--list] [--docs]``: the mutation run.

For each target in ``targets.py`` it makes every one-place mutant (``engine.py``), writes
it into a scratch copy of the tree, and runs the target's guarding tests there with
``-x``. A mutant is *killed* when the tests fail (or time out), *survived* when they
pass. The unmutated tree must pass first. ``--docs`` rewrites the result block of
docs/testing.md. Needs the same DATABASE_URL (PostgreSQL) as ``make test``; it uses its
own database name, so it can run beside other test runs.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.mutations.engine import Mutant, mutants
from tests.mutations.targets import TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "testing.md"
BEGIN, END = "<!-- mutation-run:begin -->", "<!-- mutation-run:end -->"
TIMEOUT = 600


def _scratch() -> Path:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    dest = Path(tempfile.mkdtemp(prefix="ledger-mutants-"))
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    node = ROOT / "tests" / "browser" / ".node"
    if node.exists():
        (dest / "tests" / "browser" / ".node").symlink_to(node)
    return dest


def _env() -> dict[str, str]:
    env = dict(os.environ)
    url = env.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledger")
    parts = urlsplit(url)
    # ledger → ledger_mutations, ledger_h10 → ledger_mutations_h10: one per checkout's db.
    suffix = parts.path.lstrip("/").removeprefix("ledger").lstrip("_")
    name = f"ledger_mutations_{suffix}" if suffix else "ledger_mutations"
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
    env.setdefault("LEDGER_REQUIRE_SERVICES", "1")
    return env


def _run_tests(tree: Path, target: Target, *, first: bool = False) -> tuple[bool, float]:
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--reuse-db"]
    if first:
        cmd.append("--create-db")
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*cmd, *target.tests],
            cwd=tree,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - started
    if done.returncode not in (0, 1):
        # 2-5: interrupted, internal error, usage error, nothing collected
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"pytest could not run {target.tests} (exit {done.returncode})")
    return done.returncode == 0, time.monotonic() - started


def _all_mutants(targets: list[Target]) -> list[tuple[Target, Mutant]]:
    out = []
    for target in targets:
        source = (ROOT / target.path).read_text()
        for qualname in target.names:
            out += [(target, m) for m in mutants(target.path, qualname, source)]
    return out


def _write_docs(rows: list[tuple[Target, Mutant, bool]], spent: dict[str, float]) -> None:
    """Replace the rows of the rules run now; the other rules keep the row of their last run
    (under a lock: runs of different rules may end at the same time)."""
    with DOCS.open("r+") as docs:
        fcntl.flock(docs, fcntl.LOCK_EX)
        text = _docs_text(docs.read(), rows, spent)
        docs.seek(0)
        docs.write(text)
        docs.truncate()


def _docs_text(text: str, rows: list[tuple[Target, Mutant, bool]], spent: dict[str, float]) -> str:
    head, _, rest = text.partition(BEGIN)
    block, _, tail = rest.partition(END)
    kept = {
        line.split(" | ")[0].removeprefix("| "): line
        for line in block.splitlines()
        if line.startswith("| ") and not line.startswith("| rule |")
    }
    table: list[str] = []
    for target in TARGETS:
        mine = [(m, s) for t, m, s in rows if t is target]
        if not mine:
            if target.rule in kept:
                table.append(kept[target.rule])
            continue
        surv = [m for m, s in mine if s]
        names = "<br>".join(
            f"`{m.path}:{m.line}` `{m.before}` → `{m.after}`".replace("|", "\\|") for m in surv
        )
        run = f"{time.strftime('%Y-%m-%d')}, {spent[target.rule] / 60:.0f} min"
        table.append(
            f"| {target.rule} | {run} | {len(mine)} | {len(mine) - len(surv)} | {names or 'none'} |"
        )
    counts = [[int(cell) for cell in line.split(" | ")[2:4]] for line in table]
    total, killed = sum(c[0] for c in counts), sum(c[1] for c in counts)
    lines = [
        BEGIN,
        f"{total} mutants, {killed} killed, {total - killed} survived (each rule as of its "
        "last run: `python -m tests.mutations --docs`, or `--only RULE --docs` for one rule).",
        "",
        "| rule | run | mutants | killed | survivors |",
        "|---|---|---|---|---|",
        *table,
        END,
    ]
    return head + "\n".join(lines) + tail


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations")
    parser.add_argument(
        "--only", default="", help="only mutants whose rule or label (path:line …) contains this"
    )
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--docs", action="store_true", help="write the result to docs/testing.md")
    args = parser.parse_args()
    only = args.only.lower()
    todo = [(t, m) for t, m in _all_mutants(TARGETS) if only in f"{t.rule} {m.label}".lower()]
    targets = [t for t in TARGETS if any(t is mine for mine, _ in todo)]
    if args.docs and len(todo) != sum(1 for t, _ in _all_mutants(targets)):
        raise SystemExit("--docs records whole rules: --only must match rules, not mutants")
    if args.list:
        for target, mutant in todo:
            print(f"[{target.rule}] {mutant.label}")
        print(f"{len(todo)} mutants")
        return
    started = time.monotonic()
    tree = _scratch()
    rows: list[tuple[Target, Mutant, bool]] = []
    spent = dict.fromkeys((t.rule for t in targets), 0.0)
    try:
        first = True
        for target in targets:
            ok, took = _run_tests(tree, target, first=first)
            first = False
            if not ok:
                raise SystemExit(f"the unmutated tree fails {target.tests}: fix that first")
            spent[target.rule] += took
            print(f"baseline {target.rule}: passes in {took:.0f} s", flush=True)
        for i, (target, mutant) in enumerate(todo, 1):
            path = tree / mutant.path
            original = path.read_text()
            path.write_text(mutant.source)
            try:
                survived, took = _run_tests(tree, target)
            finally:
                path.write_text(original)
            rows.append((target, mutant, survived))
            spent[target.rule] += took
            verdict = "SURVIVED" if survived else "killed"
            print(f"{i}/{len(todo)} {verdict:8} {took:5.0f}s {mutant.label}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    survivors = [m for _, m, s in rows if s]
    print(
        f"\n{len(rows)} mutants, {len(rows) - len(survivors)} killed, {len(survivors)} survived, "
        f"{(time.monotonic() - started) / 60:.0f} min"
    )
    for mutant in survivors:
        print("  survived:", mutant.label)
    if args.docs:
        _write_docs(rows, spent)
    raise SystemExit(1 if survivors else 0)


if __name__ == "__main__":
    main()

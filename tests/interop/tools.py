"""The real ADR tools the exports are checked with: adr-tools (Debian's package, which
.ci/run installs) and log4brains 1.1.0 (npm, installed on first use into the ignored
var/tools/). Missing: the test skips with the reason, and fails under
LEDGER_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.npm import npm_install

REPO = Path(__file__).resolve().parents[2]
LOG4BRAINS_DIR = REPO / "var" / "tools" / "log4brains"
LOG4BRAINS_VERSION = "1.1.0"


def missing(reason: str) -> None:
    if os.environ.get("LEDGER_REQUIRE_SERVICES") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def adr_tools() -> str:
    path = shutil.which("adr")
    if path is None:
        missing("adr-tools is not installed (Debian: apt-get install adr-tools)")
    return path


def log4brains() -> Path:
    """The log4brains 1.1.0 command, installed into var/tools/ on first use."""
    binary = LOG4BRAINS_DIR / "node_modules" / ".bin" / "log4brains"
    return npm_install(
        LOG4BRAINS_DIR, [f"log4brains@{LOG4BRAINS_VERSION}"], expect=binary, missing=missing
    )


def run(args: list[str], cwd: Path, **env: str) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


READ_ADRS = """
const { Log4brains } = require(process.argv[2]);
(async () => {
  const l4b = Log4brains.create(process.argv[3]);
  const out = {};
  for (const a of await l4b.searchAdrs()) {
    out[a.slug] = { status: a.status, date: a.publicationDate, title: a.title };
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def log4brains_read(project: Path, adr_folder: str) -> dict:
    """What log4brains 1.1.0 reads from a folder: slug → status, date, title."""
    import json

    log4brains()
    (project / ".log4brains.yml").write_text(
        f"project:\n  name: ledger\n  tz: Etc/UTC\n  adrFolder: ./{adr_folder}\n"
    )
    script = project / "read-adrs.js"
    script.write_text(READ_ADRS)
    core = LOG4BRAINS_DIR / "node_modules" / "@log4brains" / "core"
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: cannot run log4brains")
    return json.loads(run([node, str(script), str(core), str(project)], project))

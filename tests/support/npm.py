"""Install a test tool from the npm registry into a git-ignored folder, once.

Test processes may run side by side (pytest-xdist workers, two engineers' runs), so the
install happens under an exclusive file lock and the first process to get it installs;
the others find the tool there. A missing npm or a failed install is reported through
``missing`` (a skip locally, a failure under LEDGER_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn


def npm_install(
    prefix: Path,
    packages: list[str],
    *,
    expect: Path,
    missing: Callable[[str], NoReturn | None],
    timeout: int = 900,
    ignore_scripts: bool = True,
) -> Path:
    """``expect`` once ``packages`` are installed under ``prefix`` (installing them if
    ``expect`` is not there yet)."""
    if expect.exists():
        return expect
    npm = shutil.which("npm")
    if npm is None:
        missing(f"npm is not installed: cannot install {' '.join(packages)}")
    prefix.mkdir(parents=True, exist_ok=True)
    with open(prefix / ".install-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if expect.exists():  # another process installed it while we waited
            return expect
        cmd = [str(npm), "install", "--prefix", str(prefix), "--no-audit", "--no-fund"]
        if ignore_scripts:
            cmd.append("--ignore-scripts")
        try:
            done = subprocess.run(
                [*cmd, "--no-save", *packages],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            missing(f"could not install {' '.join(packages)} from npm: {exc}")
        else:
            if done.returncode != 0 or not expect.exists():
                missing(f"npm could not install {' '.join(packages)}: {done.stderr[-500:]}")
    return expect

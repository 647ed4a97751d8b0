"""A real OpenID Connect provider on loopback: the `oidc-provider` npm package under node.

Installed by the test set-up with npm into tests/support/.node-oidc/ (git-ignored) on
first use, started per test by `running_provider` (oidc_provider.mjs beside this file).
Without node, npm or the registry the test is skipped with the reason; with
LEDGER_REQUIRE_SERVICES=1 that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import _missing
from tests.support.npm import npm_install
from tests.support.smtp import free_port
from tests.support.wait import wait_until

HERE = Path(__file__).parent
NODE_DIR = HERE / ".node-oidc"
VERSION = "9.13.3"
ENTRY = NODE_DIR / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = HERE / "oidc_provider.mjs"


def require_oidc_provider() -> str:
    """node's path, installing oidc-provider into tests/support/.node-oidc/ if needed."""
    node = shutil.which("node")
    if node is None:
        _missing("needs node (Debian's nodejs) to run the oidc-provider package")
    npm_install(
        NODE_DIR,
        [f"oidc-provider@{VERSION}"],
        expect=ENTRY,
        missing=_missing,
        timeout=300,
        ignore_scripts=False,
    )
    return node


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def running_provider(
    *, redirect_uris: list[str], accounts: dict[str, dict], client_id: str = "ledger"
) -> Iterator[Provider]:
    node = require_oidc_provider()
    port = free_port()
    secret = "test-client-secret-" + os.urandom(8).hex()
    env = {
        **os.environ,
        "OIDC_PROVIDER_MODULE": ENTRY.as_uri(),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT": json.dumps(
            {"client_id": client_id, "client_secret": secret, "redirect_uris": redirect_uris}
        ),
        "OIDC_ACCOUNTS": json.dumps(accounts),
    }
    proc = subprocess.Popen(
        [node, str(SCRIPT)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(
            lambda: _answers(port) or proc.poll() is not None,
            timeout=30,
            what="oidc-provider to listen",
        )
        if proc.poll() is not None:
            raise AssertionError(f"oidc-provider exited: {proc.stderr.read().decode()[-2000:]}")
        yield Provider(issuer=f"http://127.0.0.1:{port}", client_id=client_id, client_secret=secret)
    finally:
        proc.terminate()
        proc.wait(timeout=20)

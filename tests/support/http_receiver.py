"""A real HTTP receiver on loopback for outgoing webhooks (chat channels).

`Receiver(fail_first={"/teams": 1})` answers 500 to the first N posts to a path, then
200; `GET` answers 200 (a reachability check); `/redirect?<url>` answers 302 to <url>.
Every request is recorded with its headers and body. `verify_signature` is the
receiver's HMAC check exactly as docs/notifications.md tells receivers to write it
(written here independently of the app's code).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


def verify_signature(*, secret: str, headers: dict[str, str], body: bytes, tolerance=300) -> bool:
    """The docs' snippet: HMAC-SHA256 of "<timestamp>.<body>", compared in constant time,
    and a timestamp within `tolerance` seconds."""
    timestamp = headers.get("X-Ledger-Timestamp", "")
    signature = headers.get("X-Ledger-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), signature)


@dataclass
class Receiver:
    fail_first: dict[str, int] = field(default_factory=dict)
    always_fail: set[str] = field(default_factory=set)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"no")

            def _record(self, body: bytes, status: int) -> None:
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.command, self.path, dict(self.headers), body, status)
                    )

            def do_GET(self):
                if self.path.startswith("/redirect?"):
                    self._record(b"", 302)
                    self._answer(302, {"Location": self.path.split("?", 1)[1]})
                    return
                self._record(b"", 200)
                self._answer(200)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    left = receiver.fail_first.get(self.path, 0)
                    if left:
                        receiver.fail_first[self.path] = left - 1
                failing = left > 0 or self.path in receiver.always_fail
                status = 500 if failing else 200
                self._record(body, status)
                self._answer(status)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def posts(self, path: str, *, status: int | None = None) -> list[Received]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r.method == "POST" and r.path == path and (status is None or r.status == status)
            ]

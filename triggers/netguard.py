"""Outgoing HTTP to addresses people type in, without letting them reach inside the network.

One public entry point, `request()`, for any feature that calls a URL a user entered
(metric probes today; chat webhooks later):

- **one URL, one parser**: the URL is split by urllib3's parser (the one the HTTP client
  uses) *and* by `urllib.parse`; anything the two read differently — backslashes,
  user info, control characters, odd ports — is refused, and the request is built from
  the parsed parts, so nothing re-parses it on the way out (`netaddress.parse_url`);
- **one address**: the host is resolved once, every address is checked
  (`is_public_address`: `is_global` after unwrapping IPv4-mapped, IPv4-compatible, 6to4,
  NAT64 and Teredo forms; never CGNAT, multicast or reserved), and the socket connects to
  an address that was checked, with the host name kept for `Host` and TLS (SNI and
  certificate); every redirect goes through the same steps;
- **one error**: any refused or failed connection — no DNS answer, an address that is
  not allowed, a closed or filtered port, a reset, a TLS failure — raises `Unreachable`
  with the same message, so the error cannot be used to scan ports behind a rebinding name;
- **a hard deadline**: total wall time (a watchdog shuts the socket down at the deadline,
  whatever phase the exchange is in, so a peer trickling bytes cannot hold it) and total
  bytes (the body is read in chunks and capped).

Name resolution (`getaddrinfo`, which has no timeout of its own) runs in a helper
thread that is given up on at the deadline.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from .netaddress import (
    UNREACHABLE,
    GuardError,
    Refused,
    Target,
    Unreachable,
    host_allowed,
    is_public_address,
    parse_url,
    resolve,
)

__all__ = [
    "UNREACHABLE",
    "Broken",
    "GuardError",
    "Refused",
    "Response",
    "Target",
    "TimedOut",
    "TooLarge",
    "TooManyRedirects",
    "Unreachable",
    "host_allowed",
    "is_public_address",
    "parse_url",
    "request",
    "resolve",
]

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 16_384


class TimedOut(GuardError):
    """The overall deadline passed."""


class TooLarge(GuardError):
    """The body is larger than the byte cap."""


class TooManyRedirects(GuardError):
    pass


class Broken(GuardError):
    """The connection broke after the response began."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the URL that answered (after redirects)


# --- Connections -------------------------------------------------------------------------


class _Watchdog:
    """Shuts every watched socket down when the deadline passes, whatever phase it is in.

    Watches a duplicate of each socket's descriptor (owned here until `stop()`), so a
    descriptor the HTTP client closed and the process reused is never touched.
    """

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._done = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._done:
                return
            self._socks.append(sock.dup())
            if self.fired:
                self._shutdown(self._socks[-1])

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for sock in self._socks:
                self._shutdown(sock)

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            for sock in self._socks:
                sock.close()
            self._socks.clear()


class ConnectionGuard:
    """What one request's connections must respect: the addresses allowed, the deadline."""

    def __init__(self, *, allow_private: bool, watchdog: _Watchdog | None, connect_timeout: float):
        self.allow_private = allow_private
        self.watchdog = watchdog
        self.connect_timeout = connect_timeout

    def resolve(self, host: str, port: int) -> list[str]:
        """`resolve()`, but given up on at the deadline (getaddrinfo has no timeout)."""
        if self.watchdog is None:
            return resolve(host, port, allow_private=self.allow_private)
        outcome: dict = {}

        def run():
            try:
                outcome["addresses"] = resolve(host, port, allow_private=self.allow_private)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                outcome["error"] = exc

        lookup = threading.Thread(target=run, daemon=True, name=f"resolve {host}")
        lookup.start()
        lookup.join(max(0.0, self.watchdog.remaining()))
        if lookup.is_alive():
            raise TimedOut()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["addresses"]

    def connect(self, host: str, port: int, source_address, socket_options) -> socket.socket:
        """Resolve once, check every address, connect to a checked one."""
        addresses = self.resolve(host, port)
        for address in addresses:
            timeout = self.connect_timeout
            if self.watchdog is not None:
                timeout = min(timeout, self.watchdog.remaining())
            if timeout <= 0:
                raise TimedOut()
            try:
                sock = urllib3.util.connection.create_connection(
                    (address, port),
                    timeout,
                    source_address=source_address,
                    socket_options=socket_options,
                )
            except OSError as exc:
                log.info("netguard: %s (%s) port %s: %s", host, address, port, exc)
                continue
            if self.watchdog is not None:
                self.watchdog.watch(sock)
            return sock
        raise Unreachable()


if TYPE_CHECKING:
    # What the mixin is mixed into: it reads the connection's host, port and options.
    _ConnectionBase = HTTPConnection
else:
    _ConnectionBase = object


class _GuardedConnectionMixin(_ConnectionBase):
    guard: ConnectionGuard

    def _new_conn(self) -> socket.socket:
        return self.guard.connect(self.host, self.port, self.source_address, self.socket_options)


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


def connection_classes(guard: ConnectionGuard) -> dict[str, type]:
    """Connection classes bound to `guard`, by scheme (one pair per request)."""
    return {
        "http": type("BoundHTTPConnection", (GuardedHTTPConnection,), {"guard": guard}),
        "https": type("BoundHTTPSConnection", (GuardedHTTPSConnection,), {"guard": guard}),
    }


def _pool(
    target: Target, guard: ConnectionGuard, timeout: urllib3.Timeout, ca_certs: str | None
) -> HTTPConnectionPool:
    classes = connection_classes(guard)
    pool: HTTPConnectionPool
    if target.scheme == "https":
        pool = HTTPSConnectionPool(
            target.host, target.port, timeout=timeout, retries=False, ca_certs=ca_certs
        )
    else:
        pool = HTTPConnectionPool(target.host, target.port, timeout=timeout, retries=False)
    pool.ConnectionCls = classes[target.scheme]
    return pool


# --- The request ---------------------------------------------------------------------


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    allowed_hosts: Sequence[str] | None = None,
    allow_private: bool = False,
    max_redirects: int = 0,
    connect_timeout: float = 3.05,
    ca_certs: str | None = None,
) -> Response:
    """Send one request (following at most `max_redirects` redirects, each checked again).

    `timeout` is the deadline for everything, redirects included; `allowed_hosts` (if
    given) must match every host on the way. Raises `Refused` (the URL or host is not
    allowed), `Unreachable` (no connection; one message), `TimedOut`, `TooLarge` or
    `TooManyRedirects`. Any status code is returned; redirects beyond the limit raise.
    HTTPS certificates are verified for the host name (against `ca_certs`, by default
    certifi's bundle, as requests does), although the socket connects to an address.
    """
    ca_certs = ca_certs or certifi.where()
    watchdog = _Watchdog(time.monotonic() + timeout)
    guard = ConnectionGuard(
        allow_private=allow_private,
        watchdog=watchdog,
        connect_timeout=min(connect_timeout, timeout),
    )
    try:
        current = parse_url(url)
        for hop in range(max_redirects + 1):
            if allowed_hosts is not None and not host_allowed(current.host, allowed_hosts):
                raise Refused(f"The host {current.host} is not on the allow-list.")
            status, response_headers, content = _exchange(
                method,
                current,
                guard,
                watchdog,
                body=body,
                headers=headers,
                max_bytes=max_bytes,
                ca_certs=ca_certs,
            )
            location = response_headers.get("Location")
            if status in REDIRECT_STATUSES and location and max_redirects:
                if hop == max_redirects:
                    raise TooManyRedirects(f"More than {max_redirects} redirects.")
                current = parse_url(urljoin(current.url, location))
                if status == 303:
                    method, body = "GET", None
                continue
            return Response(status, response_headers, content, current.url)
        raise TooManyRedirects(f"More than {max_redirects} redirects.")  # pragma: no cover
    finally:
        watchdog.stop()


def _exchange(
    method: str,
    target: Target,
    guard: ConnectionGuard,
    watchdog: _Watchdog,
    *,
    body: bytes | None,
    headers: Mapping[str, str] | None,
    max_bytes: int,
    ca_certs: str,
) -> tuple[int, dict[str, str], bytes]:
    remaining = watchdog.remaining()
    if remaining <= 0:
        raise TimedOut()
    timeout = urllib3.Timeout(connect=guard.connect_timeout, read=remaining)
    pool = _pool(target, guard, timeout, ca_certs)
    answered = False
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=body,
            headers={"Accept-Encoding": "identity", **(headers or {})},
            redirect=False,
            retries=False,
            preload_content=False,
            decode_content=True,
            assert_same_host=False,
        )
        answered = True
        try:
            if response.status in REDIRECT_STATUSES:
                return response.status, dict(response.headers), b""
            chunks, size = [], 0
            while True:
                if watchdog.expired:
                    raise TimedOut()
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"The response is larger than {max_bytes:,} bytes.")
                chunks.append(chunk)
            if watchdog.expired:  # a shut-down socket reads as the end of the body
                raise TimedOut()
            return response.status, dict(response.headers), b"".join(chunks)
        finally:
            response.release_conn()
    except GuardError:
        raise
    except (ReadTimeoutError, TimeoutError) as exc:
        raise TimedOut() from exc
    except (Urllib3Error, OSError, ValueError) as exc:
        if watchdog.expired:
            raise TimedOut() from exc
        if not answered:
            log.info("netguard: %s: %s", target.url, exc)
            raise Unreachable() from exc
        raise Broken(f"The connection broke while reading the response: {exc}") from exc
    finally:
        pool.close()

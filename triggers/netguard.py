"""Outgoing HTTP to addresses people type in, without letting them reach inside the network.

One public entry point, `request()`, for any feature that calls a URL a user entered
(metric probes today; chat webhooks later):

- **one URL, one parser**: the URL is split by urllib3's parser (the one the HTTP client
  uses) *and* by `urllib.parse`; anything the two read differently — backslashes,
  user info, control characters, odd ports — is refused, and the request is built from
  the parsed parts, so nothing re-parses it on the way out;
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
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError
from urllib3.util import parse_url as client_parse_url

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
UNREACHABLE = (
    "Refused or unreachable: the endpoint resolves to a private address or one that is "
    "not allowed, or did not accept the connection."
)
CHUNK = 16_384
# A host name as DNS spells it (letters, digits, hyphens, dots), or an IP literal.
_LABEL = r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")  # control characters, spaces and backslashes

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class GuardError(Exception):
    """Anything `request()` raises on purpose."""


class Refused(GuardError, ValueError):
    """The request was not made: the URL, host or address is not allowed."""


class Unreachable(Refused):
    """No connection: one message whatever the cause (see UNREACHABLE)."""

    def __init__(self, message: str = UNREACHABLE):
        super().__init__(message)


class TimedOut(GuardError):
    """The overall deadline passed."""


class TooLarge(GuardError):
    """The body is larger than the byte cap."""


class TooManyRedirects(GuardError):
    pass


class Broken(GuardError):
    """The connection broke after the response began."""


@dataclass(frozen=True)
class Target:
    """A URL as the request is built from it."""

    scheme: str
    host: str  # lower case; IPv6 literals without brackets
    port: int
    path: str  # the request target: path and query, never empty

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS[self.scheme] else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the URL that answered (after redirects)


# --- Addresses ---------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address stands for, or None if it wraps none."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in _IPV4_TRANSLATED or ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return None


def _ipv4_public(ip: ipaddress.IPv4Address) -> bool:
    return (
        ip.is_global
        and ip not in _CGNAT
        and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_private)
    )


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a globally routable unicast address (wrapped IPv4 unwrapped first)."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _ipv4_public(ip)
    if ip in _NAT64_LOCAL or ip in _IPV4_COMPATIBLE:
        return False  # local-use NAT64 and the deprecated ::a.b.c.d form lead nowhere public
    if ip.teredo is not None:
        return False  # Teredo: a tunnel to whatever it wraps, never a destination of ours
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return all(_ipv4_public(v4) for v4 in embedded)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """The addresses of `host`, every one of them allowed; raises Unreachable otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        log.info("netguard: %s does not resolve: %s", host, exc)
        raise Unreachable() from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [a for a in addresses if not allow_private and not is_public_address(a)]
    if refused or not addresses:
        # All or nothing: a name that mixes public and private answers is a rebinding attempt.
        log.info("netguard: %s resolves to refused addresses %s", host, refused)
        raise Unreachable()
    return addresses


# --- URLs --------------------------------------------------------------------------------


def _same_host(host: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(entry)
    except ValueError:
        return host == entry


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """`host` equals an entry, or ends with an entry written with a leading dot.

    IP literals compare as addresses (`[::1]` and `0:0::1` are the same entry).
    """
    host = (host or "").lower().rstrip(".").strip("[]")
    for entry in allowed_hosts:
        entry = entry.strip().lower().rstrip(".").strip("[]")
        if not entry:
            continue
        if entry.startswith("."):
            if host.endswith(entry) or host == entry[1:]:
                return True
        elif _same_host(host, entry):
            return True
    return False


def parse_url(url: str) -> Target:
    """Split `url` the way the HTTP client will, refusing anything two parsers disagree on."""
    url = str(url or "")
    if _UNSAFE.search(url) or not url.isascii():
        raise Refused(
            "The URL contains spaces, control characters, backslashes or non-ASCII "
            "characters; write it percent-encoded (host names in their xn-- form)."
        )
    try:
        ours = urlsplit(url)
        theirs = client_parse_url(url)
        our_port = ours.port
    except ValueError as exc:
        raise Refused(f"The URL cannot be read: {exc}") from exc
    scheme = (ours.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused("Only http and https URLs are allowed.")
    if "@" in ours.netloc or theirs.auth:
        raise Refused("The URL may not contain a user name or password (user@host).")
    host = (ours.hostname or "").lower()
    if not host:
        raise Refused("The URL has no host.")
    after_host = ours.netloc.rsplit("]", 1)[-1]  # an IPv6 literal's colons are not a port
    raw_port = after_host.rpartition(":")[2] if ":" in after_host else None
    if raw_port is not None and (not _PORT.match(raw_port) or int(raw_port) > 65535):
        raise Refused("The port must be a number between 1 and 65535, without leading zeros.")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is None and not _HOST_NAME.match(host):
        raise Refused(f"{host!r} is not a host name.")
    port = our_port or DEFAULT_PORTS[scheme]
    their_host = (theirs.host or "").lower().strip("[]")
    their_port = theirs.port or DEFAULT_PORTS.get(theirs.scheme or "", 0)
    path = ours.path or "/"
    target = path + (f"?{ours.query}" if ours.query else "")
    their_target = (theirs.path or "/") + (f"?{theirs.query}" if theirs.query else "")
    if (theirs.scheme, their_host, their_port, their_target) != (scheme, host, port, target):
        raise Refused(
            "The URL is ambiguous (HTTP clients and URL parsers read it differently); "
            "write it plainly as scheme://host[:port]/path."
        )
    return Target(scheme=scheme, host=host, port=port, path=target)


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


class _GuardedConnectionMixin:
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


def _pool(target: Target, guard: ConnectionGuard, timeout: urllib3.Timeout, ca_certs: str | None):
    classes = connection_classes(guard)
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

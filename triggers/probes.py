"""Metric probes: GET a JSON document from an allow-listed host and read one number.

Outside the database on purpose: the sweep runs probes *before* it opens the
transaction that records their results, so no transaction waits on the network.
"""

from __future__ import annotations

import ipaddress
import json
import operator
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
MAX_REDIRECTS = 3
MAX_BYTES = 1_000_000


class ProbeRefused(ValueError):
    """The URL may not be fetched (scheme, host or address not allowed)."""


@dataclass(frozen=True)
class ProbeResult:
    value: float | None
    observed: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.value is not None


def host_allowed(host: str) -> bool:
    host = (host or "").lower().rstrip(".")
    for entry in settings.LEDGER_METRIC_ALLOWED_HOSTS:
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        if entry.startswith("."):
            if host.endswith(entry) or host == entry[1:]:
                return True
        elif host == entry:
            return True
    return False


def _address_forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str, *, resolve: bool = True) -> None:
    """Raise ProbeRefused unless `url` is http(s), allow-listed and (after DNS) public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ProbeRefused("Only http and https URLs can be probed.")
    host = parts.hostname or ""
    if not host:
        raise ProbeRefused("The URL has no host.")
    if not host_allowed(host):
        raise ProbeRefused(
            f"The host {host} is not on the metric allow-list "
            "(LEDGER_METRIC_ALLOWED_HOSTS); ask an administrator to add it."
        )
    if settings.LEDGER_METRIC_ALLOW_PRIVATE:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if _address_forbidden(host):
            raise ProbeRefused(f"{host} is a private, loopback or link-local address.")
        return
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ProbeRefused(f"The host {host} does not resolve: {exc}") from exc
    for info in infos:
        if _address_forbidden(info[4][0]):
            raise ProbeRefused(
                f"{host} resolves to {info[4][0]}, a private, loopback or link-local address."
            )


def read_path(document, path: str):
    """`a.b.0.c` → document["a"]["b"][0]["c"]."""
    current = document
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, list) and part.lstrip("-").isdigit():
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(f"no '{part}' in the JSON at '{path}'")
    return current


def to_number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"the value at the path is not a number: {value!r}"[:200])
    return float(value)


class _PeerCheck:
    """Refuse a connection whose peer is private/loopback/link-local *before* sending a byte.

    check_url() resolves the host first (for a clear message); this closes the gap of a
    name that resolves differently a moment later (DNS rebinding).
    """

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not settings.LEDGER_METRIC_ALLOW_PRIVATE and _address_forbidden(peer):
            sock.close()
            raise ProbeRefused(f"{self.host} connected to {peer}, a private address.")
        return sock


class _HTTPConnection(_PeerCheck, HTTPConnection):
    pass


class _HTTPSConnection(_PeerCheck, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: they would hide the peer
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch(url: str, *, timeout: float | None = None) -> tuple[bytes | None, str]:
    """GET `url` following at most 3 redirects, each checked again. Returns (body, error)."""
    timeout = timeout or settings.LEDGER_METRIC_TIMEOUT_SECONDS
    connect_timeout = min(timeout, 3.05)
    try:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_url(current)
            with (
                _session() as session,
                session.get(
                    current,
                    timeout=(connect_timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                    headers={"Accept": "application/json", "User-Agent": "DecisionLedger-probe/1"},
                ) as response,
            ):
                if response.is_redirect:
                    current = urljoin(current, response.headers.get("Location", ""))
                    continue
                if response.status_code != 200:
                    return None, f"HTTP {response.status_code} from {current}"
                body = response.raw.read(MAX_BYTES + 1, decode_content=True)
                if len(body) > MAX_BYTES:
                    return None, "The response is larger than 1 MB."
                return body, ""
        return None, f"More than {MAX_REDIRECTS} redirects."
    except ProbeRefused as exc:
        return None, f"Refused: {exc}"
    except requests.Timeout:
        return None, f"Timed out after {timeout:g} s."
    except requests.RequestException as exc:
        return None, f"Request failed: {type(exc).__name__}: {exc}"[:500]


def probe(params: dict) -> ProbeResult:
    """Fetch the metric and read the number. Never raises: failures are in `.error`."""
    body, error = fetch(params.get("url", ""), timeout=params.get("timeout"))
    if error:
        return ProbeResult(None, error=error)
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        snippet = (body or b"")[:80].decode(errors="replace")
        return ProbeResult(None, observed=snippet, error=f"The response is not JSON: {exc}")
    try:
        raw = read_path(document, params.get("path", ""))
        value = to_number(raw)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        return ProbeResult(None, error=f"Cannot read a number: {exc}"[:500])
    return ProbeResult(value, observed=f"{value:g}")


def condition_met(value: float, params: dict) -> bool:
    return OPERATORS[params["op"]](value, float(params["threshold"]))

"""Metric probes: GET a JSON document from an allow-listed host and read one number.

Outside the database on purpose: the sweep runs probes while no transaction is open
and no row is locked, then records their results. The network side (one parser, checked
and pinned addresses, one error for failed connections, a hard deadline and byte cap)
is `triggers.netguard`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import operator
import socket
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import netguard

log = logging.getLogger(__name__)

OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
MAX_REDIRECTS = 3
MAX_BYTES = 1_000_000
NOT_PROBED = "Not probed: the sweep's probe budget was spent."


ProbeRefused = netguard.Refused  # the URL, host or address may not be fetched


@dataclass(frozen=True)
class ProbeResult:
    value: float | None
    observed: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.value is not None


def host_allowed(host: str) -> bool:
    return netguard.host_allowed(host, settings.LEDGER_METRIC_ALLOWED_HOSTS)


def _allowed_target(url: str) -> netguard.Target:
    target = netguard.parse_url(url)
    if not host_allowed(target.host):
        raise ProbeRefused(
            f"The host {target.host} is not on the metric allow-list "
            "(LEDGER_METRIC_ALLOWED_HOSTS); ask an administrator to add it."
        )
    return target


def check_url(url: str) -> netguard.Target:
    """Refuse (ProbeRefused) unless `url` is plain http(s), allow-listed and (after DNS) public.

    For the trigger form, so it says *why*; the probe itself checks again when it
    connects, and reports every connection failure with one message (netguard.UNREACHABLE).
    """
    target = _allowed_target(url)
    host = target.host
    if settings.LEDGER_METRIC_ALLOW_PRIVATE:
        return target
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if not netguard.is_public_address(host):
            raise ProbeRefused(
                f"{host} is a private, loopback or link-local address (or not public)."
            )
        return target
    try:
        infos = socket.getaddrinfo(host, target.port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ProbeRefused(f"The host {host} does not resolve: {exc}") from exc
    for info in infos:
        if not netguard.is_public_address(str(info[4][0])):  # TCP: always str
            raise ProbeRefused(
                f"{host} resolves to {info[4][0]}, a private, loopback or link-local address "
                "(or not public)."
            )
    return target


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


class _GuardedAdapter(HTTPAdapter):
    """requests, through netguard's connections: resolve once, check, connect to what was
    checked. (The probe itself calls netguard.request; this is for ad-hoc use.)"""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        guard = netguard.ConnectionGuard(
            allow_private=settings.LEDGER_METRIC_ALLOW_PRIVATE,
            watchdog=None,
            connect_timeout=settings.LEDGER_METRIC_TIMEOUT_SECONDS,
        )
        classes = netguard.connection_classes(guard)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": classes["http"]}),
            "https": type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": classes["https"]}),
        }


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: they would hide the peer
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch(
    url: str, *, timeout: float | None = None, deadline: float | None = None
) -> tuple[bytes | None, str]:
    """GET `url` following at most 3 redirects, each checked again. Returns (body, error).

    `timeout` bounds the whole exchange (redirects, a trickling body included), and the
    body is capped at MAX_BYTES.
    """
    timeout = float(timeout or settings.LEDGER_METRIC_TIMEOUT_SECONDS)
    limit = timeout
    if deadline is not None:  # what is left of the sweep's budget
        limit = min(timeout, deadline - time.monotonic())
        if limit <= 0:
            return None, NOT_PROBED
    try:
        _allowed_target(url)  # the URL's form and the allow-list; addresses: netguard
        response = netguard.request(
            "GET",
            url,
            timeout=limit,
            max_bytes=MAX_BYTES,
            headers={"Accept": "application/json", "User-Agent": "DecisionLedger-probe/1"},
            allowed_hosts=settings.LEDGER_METRIC_ALLOWED_HOSTS,
            allow_private=settings.LEDGER_METRIC_ALLOW_PRIVATE,
            max_redirects=MAX_REDIRECTS,
        )
    except netguard.Unreachable as exc:
        return None, str(exc)  # one message for every failed connection: no port oracle
    except netguard.Refused as exc:
        return None, f"Refused: {exc}"
    except netguard.TimedOut:
        return None, f"Timed out after {limit:.3g} s."
    except netguard.TooLarge:
        return None, "The response is larger than 1 MB."
    except netguard.GuardError as exc:
        return None, str(exc)[:500]
    if response.status != 200:
        return None, f"HTTP {response.status} from {response.url}"
    return response.body, ""


def probe(params: dict, *, deadline: float | None = None) -> ProbeResult:
    """Fetch the metric and read the number. Never raises: failures are in `.error`."""
    try:
        body, error = fetch(params.get("url", ""), timeout=params.get("timeout"), deadline=deadline)
    except Exception as exc:  # noqa: BLE001 - a probe never takes the sweep down
        log.exception("metric probe failed unexpectedly")
        return ProbeResult(None, error=f"The probe failed: {type(exc).__name__}: {exc}"[:500])
    if error or body is None:
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


def probe_all(
    jobs: Iterable[tuple[int, dict]], *, deadline: float, grace: float, workers: int
) -> dict[int, ProbeResult]:
    """Probe `(key, params)` jobs concurrently; return what finished by `deadline + grace`.

    Each probe's own deadline is at most `deadline` (`grace` lets a probe cut at its
    deadline report so); probes not started by then are cancelled, and one still running
    (which its own deadline should have prevented) is abandoned, not waited for: the
    caller leaves its trigger due for the next sweep.
    """
    jobs = list(jobs)
    if not jobs:
        return {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs))))
    futures = {pool.submit(probe, params, deadline=deadline): key for key, params in jobs}
    done, _ = wait_for(futures, timeout=max(0.0, deadline + grace - time.monotonic()))
    pool.shutdown(wait=False, cancel_futures=True)
    results = {}
    for future in done:
        result = future.result()
        if result.error != NOT_PROBED:
            results[futures[future]] = result
    return results


def condition_met(value: float, params: dict) -> bool:
    return OPERATORS[params["op"]](value, float(params["threshold"]))

"""Posting to a channel's URL, through the SSRF guard the metric probes use.

Every hop (the URL and each redirect) is checked here first, so the form can say why a
URL is refused — off the allow-list (``LEDGER_CHANNEL_ALLOWED_HOSTS``), or resolving to
a private, loopback or link-local address while its host is not in
``LEDGER_CHANNEL_PRIVATE_HOSTS`` — and then sent by ``triggers.netguard.request``,
which resolves once, checks again and connects only to the address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urljoin

from django.conf import settings

from triggers import netguard
from triggers.netguard import REDIRECT_STATUSES

MAX_REDIRECTS = 3
MAX_BYTES = 64 * 1024


def _private_allowed(host: str) -> bool:
    return netguard.host_allowed(host, settings.LEDGER_CHANNEL_PRIVATE_HOSTS)


def check_target(url: str) -> netguard.Target:
    """Refuse (`netguard.Refused`, with the reason) a URL that may not be posted to."""
    target = netguard.parse_url(url)
    host = target.host
    if not netguard.host_allowed(host, settings.LEDGER_CHANNEL_ALLOWED_HOSTS):
        raise netguard.Refused(
            f"The host {host} is not on the channel allow-list "
            "(LEDGER_CHANNEL_ALLOWED_HOSTS); ask an administrator to add it."
        )
    if _private_allowed(host):
        return target
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, target.port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise netguard.Refused(f"The host {host} does not resolve: {exc}") from exc
        addresses = [str(info[4][0]) for info in infos]  # TCP: always str
    for address in addresses:
        if not netguard.is_public_address(address):
            raise netguard.Refused(
                f"{host} resolves to {address}, a private, loopback or link-local address "
                "(or not public)."
            )
    return target


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> netguard.Response:
    """One request, following up to MAX_REDIRECTS redirects, every hop checked.

    Raises `netguard.Refused` (with the reason, for a hop refused before connecting) or
    another `netguard.GuardError` (unreachable, timed out, too large, broken).
    307/308 keep the method and body; other redirects continue as a GET.
    """
    timeout = float(timeout or settings.LEDGER_CHANNEL_TIMEOUT_SECONDS)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        target = check_target(current)
        try:
            response = netguard.request(
                method,
                target.url,
                body=body,
                headers=headers,
                timeout=timeout,
                max_bytes=MAX_BYTES,
                allowed_hosts=settings.LEDGER_CHANNEL_ALLOWED_HOSTS,
                allow_private=_private_allowed(target.host),
                max_redirects=0,
            )
        except netguard.Unreachable as exc:
            raise netguard.Unreachable(f"{target.host}: {exc}") from exc
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        current = urljoin(target.url, location)
        if response.status not in (307, 308):
            method, body = "GET", None
    raise netguard.TooManyRedirects(f"More than {MAX_REDIRECTS} redirects.")


def check_reachable(url: str) -> None:
    """For the form: the URL and every redirect it leads to pass the guard (any answer
    but a redirect chain into refused territory is fine; nothing is posted)."""
    send("GET", url)

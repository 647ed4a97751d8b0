"""The client's address, for login throttling: proxy headers count only from trusted proxies.

Behind a TLS-terminating proxy every request comes from the proxy's address, so a
(username, IP) lock-out keyed on REMOTE_ADDR would become a lock on the username
alone. The proxy's `X-Forwarded-For` names the real client, but anyone can send that
header: it is read only when the request comes from an address listed in
`LEDGER_TRUSTED_PROXIES` (addresses or networks), and then from the right, skipping
trusted proxies, so the first address no trusted proxy vouches for is the client.
Without trusted proxies the header is ignored and REMOTE_ADDR is the client.

django-axes calls `client_ip` through `AXES_CLIENT_IP_CALLABLE`; the password-reset
throttle uses it too.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.cache
def _trusted(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def trusted_proxies() -> tuple[Network, ...]:
    """LEDGER_TRUSTED_PROXIES parsed into networks (a system check vets the setting)."""
    return _trusted(tuple(getattr(settings, "LEDGER_TRUSTED_PROXIES", ()) or ()))


def _address(text: str) -> Address | None:
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:5123"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request) -> str | None:
    """The address that made `request`, as far as our own trusted proxies can tell."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    networks = trusted_proxies()
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [part for part in forwarded.split(",") if part.strip()]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # A hop no trusted proxy could have written: stop at the last good one.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)

"""Which URLs and addresses outgoing requests may use (the checks `triggers.netguard` runs).

- `parse_url`: the URL split by urllib3's parser (the one the HTTP client uses) *and* by
  `urllib.parse`; anything the two read differently — backslashes, user info, control
  characters, odd ports — is refused, and the result is what the request is built from;
- `is_public_address`: `is_global` after unwrapping IPv4-mapped, IPv4-compatible, 6to4
  and NAT64 forms (Teredo is refused whatever it wraps); never CGNAT, multicast or
  reserved;
- `resolve`: every address of a name checked, all or nothing; any failure is the one
  `Unreachable` error.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.util import parse_url as client_parse_url

log = logging.getLogger("triggers.netguard")

DEFAULT_PORTS = {"http": 80, "https": 443}
UNREACHABLE = (
    "Refused or unreachable: the endpoint resolves to a private address or one that is "
    "not allowed, or did not accept the connection."
)
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
    """Anything `netguard.request()` raises on purpose."""


class Refused(GuardError, ValueError):
    """The request was not made: the URL, host or address is not allowed."""


class Unreachable(Refused):
    """No connection: one message whatever the cause (see UNREACHABLE)."""

    def __init__(self, message: str = UNREACHABLE):
        super().__init__(message)


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
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))  # TCP: always str
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

"""The metric probe's network guard: one URL, one parser, one address, one error.

A real HTTP peer on loopback; only name resolution (`socket.getaddrinfo`, the outside
world) is patched, to play a rebinding DNS server.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import _missing
from triggers import netguard, probes
from triggers.models import Evaluation
from triggers.params import clean_params
from triggers.services import trigger_create
from triggers.sweep import sweep

PUBLIC = "93.184.216.34"  # only ever "resolved" to: nothing connects to it here


class _Peer(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []  # (path, Host header) of every request

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append((self.path, self.headers.get("Host", "")))
        if self.path == "/usage.json":
            body = json.dumps({"legacy": {"daily_users": 12}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/big.json":
            self.send_response(200)
            self.send_header("Content-Length", str(2_000_000))
            self.end_headers()
            self.wfile.write(b" " * 2_000_000)
        elif self.path in ("/trickle-body.json", "/trickle-headers.json"):
            try:
                if self.path == "/trickle-body.json":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                else:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(200):  # 10 s, far past the deadlines below
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif self.path.startswith("/redirect?"):
            self.send_response(302)
            self.send_header("Location", self.path.split("?", 1)[1])
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def peer(settings):
    _Peer.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["127.0.0.1", "metrics.test", "rebind.test"]
    settings.LEDGER_METRIC_ALLOW_PRIVATE = True
    settings.LEDGER_METRIC_TIMEOUT_SECONDS = 1
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeDNS:
    """Answers for the test's names (in turn, the last one repeating); real DNS otherwise."""

    def __init__(self, monkeypatch, answers: dict[str, list[str]]):
        self.answers = answers
        self.calls: list[str] = []
        self.real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self.real(host, port, *args, **kwargs)
        self.calls.append(host)
        queue = self.answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        port = int(port or 0)
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def _params(url: str) -> dict:
    return {"url": url, "path": "legacy.daily_users", "op": "<", "threshold": 50}


def test_urls_the_client_and_the_validator_would_read_differently_are_refused_unsent(peer):
    port = peer
    for url in (
        # urllib.parse reads host 127.0.0.1 (allow-listed); an HTTP client reads 127.0.0.2.
        f"http://127.0.0.2:{port}\\@127.0.0.1:{port}/usage.json",
        f"http://127.0.0.1:{port}\\usage.json",
        f"http://user:secret@127.0.0.1:{port}/usage.json",
        f"http://127.0.0.2:{port}@127.0.0.1:{port}/usage.json",
        f"http://127.0.0.1:0{port}/usage.json",  # a leading zero
        "http://127.0.0.1:/usage.json",  # an empty port
        "http://127.0.0.1:99999/usage.json",
        f"http://127.0.0.1:{port}/usage.json\r\nX-Injected: 1",
        f"http://127.0.0.1:{port}/us age.json",
    ):
        with pytest.raises(ValidationError):
            clean_params("metric", _params(url))
        assert probes.probe(_params(url)).error.startswith("Refused"), url
    assert _Peer.seen == []
    # The example, with a host name on the allow-list.
    with pytest.raises(ValidationError, match="backslash"):
        clean_params("metric", _params("http://other-host:80\\@allowed-host/"))
    # A plain URL to the same peer works.
    assert probes.probe(_params(f"http://127.0.0.1:{port}/usage.json")).value == 12


WRAPPED_LOOPBACK_OR_PRIVATE = [
    "100.100.100.200",  # CGNAT (a cloud metadata address)
    "100.64.0.1",  # CGNAT
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
    "64:ff9b::a00:5",  # NAT64 wrapping 10.0.0.5
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",  # IPv4-mapped link-local
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo wrapping 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b:1::a00:5",  # local-use NAT64
    "224.0.1.1",  # multicast
]


@pytest.mark.parametrize("address", WRAPPED_LOOPBACK_OR_PRIVATE)
def test_wrapped_cgnat_and_other_non_public_addresses_are_refused(address, settings, monkeypatch):
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    literal = f"[{address}]" if ":" in address else address
    settings.LEDGER_METRIC_ALLOWED_HOSTS = [literal, "wrapped.test"]
    assert not netguard.is_public_address(address)
    # As a literal in the URL: the form says why.
    with pytest.raises(ValidationError, match="private"):
        clean_params("metric", _params(f"http://{literal}/x.json"))
    # Behind a name: the form says why, the probe gives the one uniform error.
    FakeDNS(monkeypatch, {"wrapped.test": [address]})
    with pytest.raises(ValidationError, match="private"):
        clean_params("metric", _params("http://wrapped.test/x.json"))
    assert probes.probe(_params("http://wrapped.test/x.json")).error == netguard.UNREACHABLE
    assert probes.probe(_params(f"http://{literal}/x.json")).error == netguard.UNREACHABLE


def test_public_addresses_stay_allowed_wrapped_or_not():
    for address in ("8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1",
                    "64:ff9b::808:808"):  # fmt: skip
        assert netguard.is_public_address(address), address


@pytest.mark.django_db
def test_a_rebinding_name_gives_the_same_stored_error_for_an_open_and_a_closed_port(
    peer, settings, monkeypatch, architect, stakeholder
):
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    open_port, closed_port = peer, _closed_port()
    dns = FakeDNS(monkeypatch, {"rebind.test": [PUBLIC, PUBLIC, "127.0.0.1"]})
    # The form sees a public address (twice: one trigger per port) …
    triggers = [
        trigger_create(
            actor=architect,
            name=f"Port {port}",
            kind="metric",
            params=_params(f"http://rebind.test:{port}/usage.json"),
            watchers=[stakeholder],
        )
        for port in (open_port, closed_port)
    ]
    # … then the name answers loopback when the sweep probes.
    result = sweep()
    assert result.probe_errors == 2
    errors = [Evaluation.objects.get(trigger=t).error for t in triggers]
    assert errors[0] == errors[1] == netguard.UNREACHABLE
    assert _Peer.seen == []  # not even the open port was connected to
    assert dns.calls.count("rebind.test") == 4


def test_a_refused_address_and_a_closed_port_read_the_same(peer, settings):
    # Even where private addresses are allowed (so a connection is attempted), a closed
    # port reads exactly like a refused address.
    closed = probes.probe(_params(f"http://127.0.0.1:{_closed_port()}/usage.json")).error
    settings.LEDGER_METRIC_ALLOW_PRIVATE = False
    refused = probes.probe(_params(f"http://127.0.0.1:{peer}/usage.json")).error
    assert closed == refused == netguard.UNREACHABLE


def test_the_connection_goes_to_the_address_that_was_checked_with_the_host_name_kept(
    peer, monkeypatch
):
    # First answer: the peer. Any later lookup would answer 127.0.0.2, where nothing listens.
    dns = FakeDNS(monkeypatch, {"metrics.test": ["127.0.0.1", "127.0.0.2"]})
    result = probes.probe(_params(f"http://metrics.test:{peer}/usage.json"))
    assert result.value == 12, result.error
    assert dns.calls == ["metrics.test"]  # resolved once, and that address was used
    assert _Peer.seen == [("/usage.json", f"metrics.test:{peer}")]


def test_every_redirect_is_checked_again(peer, settings):
    base = f"http://127.0.0.1:{peer}"
    hops = {
        "off the allow-list": f"{base}/redirect?http://localhost:{peer}/usage.json",
        "ambiguous": f"{base}/redirect?http://127.0.0.2:{peer}%5C@127.0.0.1:{peer}/usage.json",
        "with a user": f"{base}/redirect?http://me@127.0.0.1:{peer}/usage.json",
    }
    for label, url in hops.items():
        error = probes.probe(_params(url)).error
        assert error.startswith("Refused"), (label, error)
    assert all(path.startswith("/redirect") for path, _ in _Peer.seen)
    assert probes.probe(_params(f"{base}/redirect?/usage.json")).value == 12


@pytest.mark.parametrize("path", ["/trickle-body.json", "/trickle-headers.json"])
def test_a_trickling_peer_is_cut_at_the_overall_deadline(peer, path):
    started = time.monotonic()
    result = probes.probe(_params(f"http://127.0.0.1:{peer}{path}"))
    elapsed = time.monotonic() - started
    assert result.error == "Timed out after 1 s."
    assert 1 <= elapsed < 2, elapsed  # 1 s deadline; a byte every 50 ms never times out a read


def test_a_name_server_that_does_not_answer_is_cut_at_the_deadline_too(peer, monkeypatch):
    real = socket.getaddrinfo
    asked, answer = threading.Event(), threading.Event()

    def silent(host, *args, **kwargs):
        if host == "metrics.test":
            asked.set()
            answer.wait(30)  # a name server that answers only when the test says so
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    started = time.monotonic()
    try:
        result = probes.probe(_params(f"http://metrics.test:{peer}/usage.json"))
    finally:
        answer.set()
    assert asked.is_set(), "the probe never asked the name server"
    assert result.error == "Timed out after 1 s."
    assert time.monotonic() - started < 2


def test_a_body_over_the_byte_cap_is_refused(peer):
    assert probes.probe(_params(f"http://127.0.0.1:{peer}/big.json")).error == (
        "The response is larger than 1 MB."
    )


@pytest.fixture
def tls_peer(tmp_path):
    """An HTTPS peer on loopback whose certificate names metrics.test (openssl CLI)."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        _missing("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=metrics.test", "-addext", "subjectAltName=DNS:metrics.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    _Peer.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], str(cert)
    httpd.shutdown()
    httpd.server_close()


def test_https_is_verified_for_the_host_name_while_connecting_to_the_checked_address(
    tls_peer, monkeypatch
):
    port, ca = tls_peer
    dns = FakeDNS(monkeypatch, {"metrics.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    response = netguard.request(
        "GET", f"https://metrics.test:{port}/usage.json", timeout=5, max_bytes=1000,
        allow_private=True, ca_certs=ca,
    )  # fmt: skip
    assert (response.status, json.loads(response.body)) == (200, {"legacy": {"daily_users": 12}})
    assert _Peer.seen == [("/usage.json", f"metrics.test:{port}")]
    # The same address under a name the certificate does not carry: no connection.
    with pytest.raises(netguard.Unreachable):
        netguard.request(
            "GET", f"https://other.test:{port}/usage.json", timeout=5, max_bytes=1000,
            allow_private=True, ca_certs=ca,
        )  # fmt: skip
    assert dns.calls == ["metrics.test", "other.test"]
    assert len(_Peer.seen) == 1

"""A scripted OpenID Connect provider on loopback, for the callback's refusals.

The real provider (tests/support/oidc_provider.py) only issues good tokens; this peer
serves discovery, its keys and a token endpoint over real HTTP, and returns the ID
token the test built — with a wrong nonce, audience, issuer, key or auth_time — so the
tests show each one refused by our validation (Authlib + joserfc), not by a stand-in.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "ledger-test"
CLIENT_SECRET = "ledger-test-secret"


class OidcPeer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "peer-key"})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.next_id_token = ""
        self.token_requests: list[str] = []

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def id_token(self, *, key: RSAKey | None = None, **claims: Any) -> str:
        """A signed ID token: good claims by default, any of them overridden."""
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "subject-1",
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, body, signer)

    def _handler(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": peer.issuer,
                            "authorization_endpoint": f"{peer.issuer}/auth",
                            "token_endpoint": f"{peer.issuer}/token",
                            "jwks_uri": f"{peer.issuer}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    self._json(KeySet([peer.key]).as_dict(private=False))
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                peer.token_requests.append(self.rfile.read(length).decode())
                self._json(
                    {
                        "access_token": "peer-access-token",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": peer.next_id_token,
                    }
                )

        return Handler


def use_peer(settings, peer: OidcPeer) -> None:
    """Point the ledger's single sign-on at `peer` (pytest-django's `settings`)."""
    settings.LEDGER_OIDC_DISCOVERY_URL = peer.discovery_url
    settings.LEDGER_OIDC_CLIENT_ID = CLIENT_ID
    settings.LEDGER_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.LEDGER_OIDC_GROUP_ROLES = "ledger-architects=architect; auditors=auditor"
    settings.LEDGER_OIDC_SIGN_MAX_AGE = 120


@contextmanager
def oidc_peer() -> Iterator[OidcPeer]:
    peer = OidcPeer()
    thread = threading.Thread(target=peer.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()

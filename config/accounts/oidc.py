"""OpenID Connect round trips with Authlib: configuration, start, and a validated finish.

One round trip = one `begin` (a fresh state, nonce and PKCE verifier kept in the
session under the state, with what the round trip is for) and at most one `finish`
(which pops that entry first, so a replayed callback finds nothing). `finish` accepts
only an ID token whose signature verifies against the provider's keys and whose
issuer, audience (our client id) and nonce are the expected ones; anything else raises
`OidcRefused` with a short reason, which the caller records (`oidc_refusal_record`).

Who uses it: sign-in (config.accounts.oidc_views) and signing by SSO users
(risks.sso_views, which also sends `prompt=login` and `max_age=0`).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import Http404, HttpRequest
from joserfc.errors import ClaimError, JoseError
from requests import RequestException

from .models import OidcRefusal

log = logging.getLogger("ledger.security")

SESSION_KEY = "ledger_oidc_pending"
# Round trips a session may have open at once (older ones are dropped).
MAX_PENDING = 5
# A round trip not finished within this many seconds is refused as stale.
PENDING_TTL = 15 * 60

CLAIM_REASONS = {"iss": "issuer", "aud": "audience", "nonce": "nonce", "exp": "expired"}


class OidcRefused(Exception):
    """A callback that must not sign anyone in or sign anything."""

    def __init__(self, reason: str, detail: str = "", pending: dict | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.pending = pending or {}


@dataclass(frozen=True)
class OidcConfig:
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: str
    provider_name: str
    groups_claim: str
    group_roles: tuple[tuple[str, str], ...] = field(default=())
    # (group, team slug, role) triples: LEDGER_OIDC_GROUP_TEAMS (oidc_teams.py).
    group_teams: tuple[tuple[str, str, str], ...] = field(default=())
    sign_max_age: int = 120


def parse_group_roles(text: str) -> tuple[tuple[str, str], ...]:
    """Parse "ledger-architects=architect; auditors=auditor" into (group, role) pairs.

    The role is after the *last* "=", so a group may be an LDAP DN ("cn=arch,ou=groups").
    """
    pairs = []
    for item in text.split(";"):
        if not item.strip():
            continue
        group, sep, role = item.rpartition("=")
        if not sep or not group.strip() or not role.strip():
            raise ValueError(f"LEDGER_OIDC_GROUP_ROLES: {item.strip()!r} is not group=role")
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)


SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def parse_group_teams(text: str) -> tuple[tuple[str, str, str], ...]:
    """Parse "pay-devs=payments:architect; pay-readers=payments:stakeholder" into
    (group, team slug, role) triples. A team is named by its slug (no spaces, no ":");
    the group is everything before the last "=", so it may be an LDAP DN."""
    triples = []
    for item in text.split(";"):
        if not item.strip():
            continue
        group, sep, target = item.rpartition("=")
        slug, colon, role = target.partition(":")
        if not sep or not colon or not group.strip() or not slug.strip() or not role.strip():
            raise ValueError(
                f"LEDGER_OIDC_GROUP_TEAMS: {item.strip()!r} is not group=team-slug:role"
            )
        if not SLUG.fullmatch(slug.strip()):
            raise ValueError(
                f"LEDGER_OIDC_GROUP_TEAMS: {slug.strip()!r} is not a team slug "
                "(name a team by its slug, e.g. payments, not by its name)"
            )
        triples.append((group.strip(), slug.strip(), role.strip()))
    return tuple(triples)


def oidc_config() -> OidcConfig | None:
    """The configured provider, or None when single sign-on is off."""
    if not (settings.LEDGER_OIDC_DISCOVERY_URL and settings.LEDGER_OIDC_CLIENT_ID):
        return None
    return OidcConfig(
        discovery_url=settings.LEDGER_OIDC_DISCOVERY_URL,
        client_id=settings.LEDGER_OIDC_CLIENT_ID,
        client_secret=settings.LEDGER_OIDC_CLIENT_SECRET,
        scopes=settings.LEDGER_OIDC_SCOPES,
        provider_name=settings.LEDGER_OIDC_PROVIDER_NAME,
        groups_claim=settings.LEDGER_OIDC_GROUPS_CLAIM,
        group_roles=parse_group_roles(settings.LEDGER_OIDC_GROUP_ROLES),
        group_teams=parse_group_teams(settings.LEDGER_OIDC_GROUP_TEAMS),
        sign_max_age=settings.LEDGER_OIDC_SIGN_MAX_AGE,
    )


def oidc_config_or_404() -> OidcConfig:
    config = oidc_config()
    if config is None:
        raise Http404("Single sign-on is not configured.")
    return config


@functools.lru_cache(maxsize=8)
def _client(config: OidcConfig) -> DjangoOAuth2App:
    # One Authlib client per configuration: it caches the discovery document and keys.
    oauth = OAuth()
    return oauth.register(
        name="ledger",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs={"scope": config.scopes, "code_challenge_method": "S256"},
    )


def begin(
    request: HttpRequest,
    *,
    config: OidcConfig,
    purpose: str,
    redirect_uri: str,
    binding: dict[str, Any] | None = None,
    nonce: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Start a round trip; returns the provider's authorization URL to redirect to."""
    state = secrets.token_urlsafe(32)
    nonce = nonce or secrets.token_urlsafe(32)
    rv = _client(config).create_authorization_url(
        redirect_uri, state=state, nonce=nonce, **(extra or {})
    )
    pending = dict(request.session.get(SESSION_KEY, {}))
    for old in sorted(pending, key=lambda s: pending[s]["started_at"])[: -MAX_PENDING + 1]:
        del pending[old]
    pending[state] = {
        "purpose": purpose,
        "nonce": nonce,
        "code_verifier": rv.get("code_verifier", ""),
        "redirect_uri": redirect_uri,
        "started_at": time.time(),
        "binding": binding or {},
    }
    request.session[SESSION_KEY] = pending
    return rv["url"]


def _pop_pending(request: HttpRequest, state: str) -> dict | None:
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    return entry


def finish(request: HttpRequest, *, config: OidcConfig, purpose: str) -> tuple[dict, dict]:
    """Validate a callback: (ID-token claims, the round trip's session entry) or OidcRefused.

    The state is spent before anything else, so the same callback never succeeds twice.
    """
    state = request.GET.get("state", "")
    entry = _pop_pending(request, state)
    if entry is None:
        raise OidcRefused("state", "unknown, spent or missing state")
    if entry["purpose"] != purpose:
        raise OidcRefused("state", f"a {entry['purpose']} state used for {purpose}", entry)
    if time.time() - entry["started_at"] > PENDING_TTL:
        raise OidcRefused("state", "the round trip took too long", entry)
    if request.GET.get("error"):
        error = request.GET.get("error", "")[:100]
        raise OidcRefused("provider-error", error, entry)
    code = request.GET.get("code", "")
    if not code:
        raise OidcRefused("state", "no code in the callback", entry)
    client = _client(config)
    try:
        token = client.fetch_access_token(
            redirect_uri=entry["redirect_uri"],
            code=code,
            code_verifier=entry["code_verifier"] or None,
        )
    except (OAuthError, RequestException, ValueError) as exc:
        raise OidcRefused("token-exchange", str(exc)[:300], entry) from exc
    if "id_token" not in token:
        raise OidcRefused("malformed", "no ID token in the token response", entry)
    claims = validate_id_token(config=config, token=token, nonce=entry["nonce"], pending=entry)
    return claims, entry


def validate_id_token(*, config: OidcConfig, token: dict, nonce: str, pending: dict) -> dict:
    """Verify signature, issuer, audience, expiry and nonce; the claims or OidcRefused."""
    client = _client(config)
    issuer = client.load_server_metadata().get("issuer", "")
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": config.client_id},
        "sub": {"essential": True},
        "nonce": {"essential": True},
    }
    try:
        claims = client.parse_id_token(token, nonce=nonce, claims_options=options, leeway=60)
    except ClaimError as exc:
        raise OidcRefused(CLAIM_REASONS.get(exc.claim, "claims"), str(exc), pending) from exc
    except (JoseError, ValueError) as exc:
        raise OidcRefused("signature", f"{type(exc).__name__}: {exc}"[:300], pending) from exc
    return dict(claims)


def oidc_refusal_record(
    *,
    purpose: str,
    refused: OidcRefused,
    user=None,
    context: dict | None = None,
    ip_address: str | None = None,
) -> OidcRefusal:
    """Keep the refusal where staff see it (admin) and in the security log."""
    log.warning("OIDC %s refused: %s (%s)", purpose, refused.reason, refused.detail)
    return OidcRefusal.objects.create(
        purpose=purpose,
        reason=refused.reason[:40],
        detail=refused.detail[:500],
        user=user if getattr(user, "is_authenticated", False) else None,
        context=context or {},
        ip_address=ip_address,
    )

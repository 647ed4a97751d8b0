"""Sign-in by OpenID Connect against a scripted provider on loopback (tests/support/oidc_peer):
first sign-in creates the user with roles from IdP groups; a bad state, nonce, audience,
issuer or signature is refused, recorded and signs nobody in; a replay finds no state."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import RSAKey

from config.accounts.models import OidcIdentity, OidcRefusal
from config.accounts.oidc import parse_group_roles
from config.accounts.roles import user_roles
from tests.support.oidc_peer import CLIENT_ID

pytestmark = pytest.mark.django_db


def start(client) -> dict[str, str]:
    """Begin a sign-in; the authorization request's parameters."""
    response = client.get("/accounts/login/sso/?next=/risks/")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def callback(client, state: str, code: str = "code-1"):
    return client.get("/accounts/login/sso/callback/", {"state": state, "code": code})


def test_it_is_off_when_not_configured(client):
    assert client.get("/accounts/login/sso/").status_code == 404
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


def test_the_login_page_offers_single_sign_on_beside_the_password(client, idp):
    page = client.get("/accounts/login/").content.decode()
    assert 'id="sso-login"' in page and 'id="id_password"' in page


def test_first_sign_in_creates_the_user_with_roles_from_groups(client, idp):
    params = start(client)
    assert params["client_id"] == CLIENT_ID and params["code_challenge_method"] == "S256"
    idp.next_id_token = idp.id_token(
        nonce=params["nonce"],
        sub="carol-1",
        preferred_username="carol",
        email="carol@example.test",
        groups=["ledger-architects", "unrelated"],
    )
    response = callback(client, params["state"])
    assert response.status_code == 302 and response["Location"] == "/risks/"
    link = OidcIdentity.objects.select_related("user").get(issuer=idp.issuer, subject="carol-1")
    assert link.user.username == "carol" and not link.user.has_usable_password()
    assert user_roles(link.user) == {"architect"}
    assert int(client.session["_auth_user_id"]) == link.user.pk
    assert "code_verifier=" in idp.token_requests[-1]


def test_a_later_sign_in_finds_the_same_user_and_resets_roles_from_groups(client, idp):
    for groups in (["ledger-architects"], ["auditors"]):
        client.logout()
        params = start(client)
        idp.next_id_token = idp.id_token(nonce=params["nonce"], sub="carol-1", groups=groups)
        assert callback(client, params["state"]).status_code == 302
    link = OidcIdentity.objects.select_related("user").get(subject="carol-1")
    link.user._ledger_roles = None
    assert OidcIdentity.objects.count() == 1
    assert user_roles(link.user) == {"auditor"}


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"nonce": "not-the-nonce"}, "nonce"),
        ({"aud": "another-client"}, "audience"),
        ({"iss": "http://127.0.0.1:1"}, "issuer"),
        ({"nonce": None}, "nonce"),
    ],
)
def test_a_bad_id_token_is_refused_recorded_and_signs_nobody_in(client, idp, claims, reason):
    params = start(client)
    token_claims = {"nonce": params["nonce"], **claims}
    idp.next_id_token = idp.id_token(**token_claims)
    response = callback(client, params["state"])
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert not OidcIdentity.objects.exists()
    refusal = OidcRefusal.objects.get()
    assert (refusal.purpose, refusal.reason) == ("login", reason)


def test_an_id_token_signed_by_another_key_is_refused(client, idp):
    params = start(client)
    forger = RSAKey.generate_key(2048, parameters={"kid": "peer-key"})
    idp.next_id_token = idp.id_token(nonce=params["nonce"], key=forger)
    callback(client, params["state"])
    assert "_auth_user_id" not in client.session
    assert OidcRefusal.objects.get().reason == "signature"


def test_a_bad_state_is_refused_before_the_provider_is_asked(client, idp):
    start(client)
    callback(client, "a-state-we-never-issued")
    assert "_auth_user_id" not in client.session
    assert OidcRefusal.objects.get().reason == "state"
    assert idp.token_requests == []


def test_a_replayed_callback_finds_its_state_spent(client, idp):
    params = start(client)
    idp.next_id_token = idp.id_token(nonce=params["nonce"], sub="carol-1")
    callback(client, params["state"])
    client.logout()
    callback(client, params["state"])
    assert "_auth_user_id" not in client.session
    assert OidcRefusal.objects.get().reason == "state"
    assert len(idp.token_requests) == 1


def test_the_group_mapping_refuses_a_malformed_pair():
    assert parse_group_roles("a=architect;;b = auditor") == (("a", "architect"), ("b", "auditor"))
    with pytest.raises(ValueError, match="not group=role"):
        parse_group_roles("architects")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"LEDGER_OIDC_CLIENT_ID": ""}, "Set both"),
        ({"LEDGER_OIDC_DISCOVERY_URL": "idp.example/.well-known"}, "not an absolute URL"),
        ({"LEDGER_OIDC_GROUP_ROLES": "admins=superuser"}, "unknown role"),
        ({"LEDGER_OIDC_GROUP_ROLES": "admins"}, "not group=role"),
        ({"LEDGER_OIDC_SIGN_MAX_AGE": 3600}, "between 10 and 900"),
    ],
)
def test_bad_single_sign_on_settings_fail_the_system_check(settings, overrides, fragment):
    from config.accounts.oidc_checks import oidc_settings

    settings.LEDGER_OIDC_DISCOVERY_URL = "https://idp.example/.well-known/openid-configuration"
    settings.LEDGER_OIDC_CLIENT_ID = "ledger"
    assert oidc_settings() == []
    for name, value in overrides.items():
        setattr(settings, name, value)
    errors = oidc_settings()
    assert [e.id for e in errors] == ["ledger.E017"]
    assert fragment in errors[0].msg

"""Signing by an SSO user: the sign page sends them to the provider with prompt=login and
max_age=0; only a validated ID token for their linked account with a fresh auth_time
signs, through the one signing service, and the signature records the method.

The provider is the scripted loopback peer (`idp`, tests/support/oidc_peer); the browser
journey against a real provider is tests/browser/test_sso_journey.py.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.db import connection

from config.accounts.models import OidcIdentity, OidcRefusal
from risks import signing
from risks.models import Signature, SignatureSsoEvidence
from risks.sso_signing import AUTH_METHOD_PREFIX, evidence_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso_sam(idp, stakeholder):
    OidcIdentity.objects.create(user=stakeholder, issuer=idp.issuer, subject="sam-sub")
    return stakeholder


def start_signing(client, acceptance, verdict="approve", reason="") -> dict[str, str]:
    digest = signing.acceptance_digest(acceptance)
    response = client.post(
        f"/risks/{acceptance.pk}/sign/sso/",
        {"verdict": verdict, "reason": reason, "digest": digest},
    )
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def finish_signing(client, state: str):
    return client.get("/risks/sign/sso/callback/", {"state": state, "code": "c"})


def test_the_sign_page_of_an_sso_user_asks_for_the_provider_not_a_password(
    login, sso_sam, submitted
):
    page = login(sso_sam).get(f"/risks/{submitted.pk}/sign/").content.decode()
    assert f'action="/risks/{submitted.pk}/sign/sso/"' in page
    assert 'type="password"' not in page


def test_a_local_user_keeps_the_password_and_cannot_start_an_sso_signing(
    login, idp, stakeholder, submitted
):
    client = login(stakeholder)
    assert 'type="password"' in client.get(f"/risks/{submitted.pk}/sign/").content.decode()
    response = client.post(f"/risks/{submitted.pk}/sign/sso/", {"verdict": "approve"})
    assert response.status_code == 403


def test_a_fresh_sign_in_signs_and_the_signature_records_the_method(
    login, idp, sso_sam, submitted, capsys
):
    client = login(sso_sam)
    params = start_signing(client, submitted)
    assert (params["prompt"], params["max_age"]) == ("login", "0")
    auth_time = int(time.time())
    idp.next_id_token = idp.id_token(nonce=params["nonce"], sub="sam-sub", auth_time=auth_time)
    response = finish_signing(client, params["state"])
    assert response["Location"] == f"/risks/{submitted.pk}/sign/"
    signature = Signature.objects.get(acceptance=submitted, user=sso_sam)
    assert signature.verdict == "approve"
    assert signature.auth_method.startswith(AUTH_METHOD_PREFIX)
    evidence = SignatureSsoEvidence.objects.get(signature=signature)
    assert (evidence.issuer, evidence.subject) == (idp.issuer, "sam-sub")
    assert int(evidence.auth_time.timestamp()) == auth_time
    assert signature.signature_hash == signing.signature_compute_hash(signature)
    assert evidence_matches(signature)
    call_command("verify_ledger")
    assert not OidcRefusal.objects.exists()


def test_verify_ledger_names_altered_sso_evidence(login, idp, sso_sam, submitted, capsys):
    from django.core.management import CommandError

    client = login(sso_sam)
    params = start_signing(client, submitted)
    idp.next_id_token = idp.id_token(nonce=params["nonce"], sub="sam-sub")
    finish_signing(client, params["state"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE risks_signaturessoevidence SET subject = 'someone-else'")
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert "single sign-on evidence does not match" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"auth_time": int(time.time()) - 600}, "stale-auth-time"),
        ({"auth_time": None}, "auth-time"),
        ({"sub": "somebody-else"}, "subject"),
        ({"nonce": "a-nonce-for-something-else"}, "nonce"),
        ({"aud": "another-client"}, "audience"),
    ],
)
def test_a_bad_callback_signs_nothing_and_is_recorded(
    login, idp, sso_sam, submitted, claims, reason
):
    client = login(sso_sam)
    params = start_signing(client, submitted)
    token_claims = {"nonce": params["nonce"], "sub": "sam-sub", **claims}
    idp.next_id_token = idp.id_token(**token_claims)
    response = finish_signing(client, params["state"])
    assert response["Location"] == f"/risks/{submitted.pk}/sign/"
    assert not Signature.objects.filter(acceptance=submitted, user=sso_sam).exists()
    refusal = OidcRefusal.objects.get()
    assert (refusal.purpose, refusal.reason, refusal.user) == ("sign", reason, sso_sam)
    assert refusal.context["acceptance"] == submitted.pk


def test_a_sign_in_from_before_the_round_trip_is_not_fresh(login, idp, sso_sam, submitted):
    client = login(sso_sam)
    params = start_signing(client, submitted)
    # Within LEDGER_OIDC_SIGN_MAX_AGE, but the provider did not make them sign in again.
    idp.next_id_token = idp.id_token(
        nonce=params["nonce"], sub="sam-sub", auth_time=int(time.time()) - 60
    )
    finish_signing(client, params["state"])
    assert not Signature.objects.filter(user=sso_sam).exists()
    assert OidcRefusal.objects.get().detail == "signed in before the signing round trip"


def test_a_replayed_signing_callback_signs_nothing(login, idp, sso_sam, submitted):
    client = login(sso_sam)
    params = start_signing(client, submitted)
    idp.next_id_token = idp.id_token(nonce=params["nonce"], sub="sam-sub")
    finish_signing(client, params["state"])
    finish_signing(client, params["state"])
    assert Signature.objects.filter(user=sso_sam).count() == 1
    assert len(idp.token_requests) == 1
    assert OidcRefusal.objects.get().reason == "state"


def test_a_login_state_cannot_finish_a_signing(client, idp, sso_sam, submitted):
    response = client.get("/accounts/login/sso/")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    client.force_login(sso_sam)
    finish_signing(client, state)
    assert not Signature.objects.exists()
    assert OidcRefusal.objects.get().reason == "state"

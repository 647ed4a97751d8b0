"""Single sign-on in real Chromium against a real OpenID Connect provider on loopback
(the `oidc-provider` npm package under node, tests/support/oidc_provider.py):

first sign-in through the provider creates the user with the role and the team
membership its groups map to;
signing sends them back to the provider, which asks for the password again although
its own session is alive (prompt=login, max_age=0); the signature records the method;
a replayed callback and a callback whose sign-in is stale (our clock ten minutes on)
sign nothing and are recorded.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from config.accounts.models import OidcRefusal
from config.accounts.roles import team_roles, user_roles
from config.accounts.teams import team_create
from risks import services
from risks.models import Signature, SignatureSsoEvidence
from risks.sso_signing import evidence_matches
from tests.risks.conftest import new_acceptance, risks_without_trigger_hooks  # noqa: F401
from tests.support.oidc_provider import running_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLBACKS = ("/accounts/login/sso/callback/", "/risks/sign/sso/callback/")


@pytest.fixture
def provider(live_server, settings):
    with running_provider(
        redirect_uris=[live_server.url + path for path in CALLBACKS],
        accounts={"carol": {"name": "Carol Security", "groups": ["ledger-risk", "staff-all"]}},
    ) as p:
        settings.LEDGER_OIDC_DISCOVERY_URL = p.discovery_url
        settings.LEDGER_OIDC_CLIENT_ID = p.client_id
        settings.LEDGER_OIDC_CLIENT_SECRET = p.client_secret
        settings.LEDGER_OIDC_PROVIDER_NAME = "Test IdP"
        settings.LEDGER_OIDC_SCOPES = "openid email profile groups"
        settings.LEDGER_OIDC_GROUP_ROLES = "ledger-risk=stakeholder"
        settings.LEDGER_OIDC_GROUP_TEAMS = "staff-all=security:auditor; nobody=other:architect"
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)  # as base.py does from env
        policy["DIRECTIVES"]["form-action"].append(p.issuer)
        settings.CONTENT_SECURITY_POLICY = policy
        yield p


def provider_login(page, login: str) -> None:
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password the dev form takes")
    page.click("button[type=submit]")


def awaiting(architect, owner, signer, title: str):
    acceptance = new_acceptance(
        architect,
        owner=owner,
        title=title,
        signatories=[{"user": signer, "meaning": "security lead"}],
    )
    return services.acceptance_submit(actor=architect, acceptance=acceptance)


def sign_through_provider(page, acceptance) -> None:
    page.goto(f"/risks/{acceptance.pk}/sign/")
    page.check("input[name=verdict][value=approve]")
    page.click("#sign-button")
    provider_login(page, "carol")  # asked again: prompt=login although signed in there
    page.wait_for_url(f"**/risks/{acceptance.pk}/sign/")


def test_sso_sign_in_and_signing_through_a_forced_reauthentication(
    page, live_server, provider, architect, stakeholder
):
    # First sign-in through the provider creates carol, a stakeholder by her IdP group,
    # and an auditor in the Security team by another group.
    security = team_create(actor=None, name="Security")
    team_create(actor=None, name="Other")
    page.goto("/accounts/login/")
    page.click("#sso-login")
    provider_login(page, "carol")
    page.wait_for_url(f"{live_server.url}/")
    carol = get_user_model().objects.get(oidc_identity__subject="carol")
    assert carol.display_name == "Carol Security"
    assert user_roles(carol) == {"stakeholder"}
    assert team_roles(carol) == {security.pk: "auditor"}

    first = awaiting(architect, stakeholder, carol, "Shared admin account on the VPN")
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if CALLBACKS[1] in r.url else None)
    sign_through_provider(page, first)
    assert "signed in at the provider" in page.inner_text("main")
    signature = Signature.objects.get(acceptance=first, user=carol)
    evidence = SignatureSsoEvidence.objects.get(signature=signature)
    assert (evidence.issuer, evidence.subject) == (provider.issuer, "carol")
    assert evidence_matches(signature)
    first.refresh_from_db()
    assert first.state == "accepted"

    # The same callback again: its state is spent; nothing more is signed.
    page.goto(callbacks[-1])
    assert "Nothing was signed" in page.inner_text("main")
    assert Signature.objects.filter(user=carol).count() == 1
    assert OidcRefusal.objects.get().reason == "state"

    # A sign-in ten minutes old by our clock: stale, refused, recorded, nothing signed.
    second = awaiting(architect, stakeholder, carol, "Unpatched build agents")
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        sign_through_provider(page, second)
    assert "Nothing was signed" in page.inner_text("main")
    assert not Signature.objects.filter(acceptance=second).exists()
    refusal = OidcRefusal.objects.latest("at")
    assert (refusal.purpose, refusal.reason, refusal.user) == ("sign", "stale-auth-time", carol)
    assert refusal.context["acceptance"] == second.pk

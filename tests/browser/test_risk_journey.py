"""Journey 2 in real Chromium: draft → submit → three signatures with password → print."""

from datetime import timedelta

import pytest
from django.utils import timezone

from risks.models import RiskAcceptance, Signature
from tests.conftest import PASSWORD
from tests.risks.conftest import risks_without_trigger_hooks  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_journey_2_in_chromium(
    page, browser_login, architect, stakeholder, stakeholder2, stakeholder3
):
    browser_login(page, architect)
    page.goto("/risks/")
    page.click("text=Draft a risk acceptance")
    page.fill("#id_title", "JS-readable Cognito tokens")
    page.select_option("#id_finding_source", "pentest")
    page.fill("#id_finding_reference", "PT-2026-03")
    page.fill("#id_risk_statement", "Any **XSS** can read the tokens.")
    page.fill("#id_likelihood", "2")
    page.fill("#id_impact", "4")
    page.select_option("#id_owner", str(stakeholder.pk))
    page.fill("#id_expires_on", (timezone.localdate() + timedelta(days=180)).isoformat())
    page.fill("#id_m-0-description", "Strict nonce-based CSP")
    page.select_option("#id_m-0-status", "in_place")
    page.fill("#id_m-1-description", "Access tokens live five minutes")
    for i, (user, meaning) in enumerate(
        [
            (stakeholder, "risk owner"),
            (stakeholder2, "security lead"),
            (stakeholder3, "engineering lead"),
        ]
    ):
        page.select_option(f"#id_s-{i}-user", str(user.pk))
        page.fill(f"#id_s-{i}-meaning", meaning)
    page.click("#save-acceptance")
    page.wait_for_load_state()
    acceptance = RiskAcceptance.objects.get()
    assert page.url.endswith(f"/risks/{acceptance.pk}/")
    page.click("#submit-for-signature")
    page.wait_for_load_state()
    assert page.inner_text("#acceptance-state") == "Awaiting signatures"

    for user in (stakeholder, stakeholder2, stakeholder3):
        page.context.clear_cookies()  # a fresh session for the next person
        browser_login(page, user)
        page.goto(f"/risks/{acceptance.pk}/")
        page.click("#sign-link")
        assert "Strict nonce-based CSP" in page.inner_text("#document")
        page.check("input[name=verdict][value=approve]")
        page.fill("#id_password", PASSWORD)
        page.click("#sign-button")
        page.wait_for_load_state()
        assert page.url.endswith(f"/risks/{acceptance.pk}/")

    assert page.inner_text("#acceptance-state") == "Accepted"
    page.goto(f"/risks/{acceptance.pk}/print/")
    names = page.locator(".manifestation .printed-name").all_inner_texts()
    assert names == ["Sam Owner", "Sofia Security", "Eric Engineering"]
    text = page.inner_text("main")
    digest = Signature.objects.first().content_digest
    assert text.count(digest) == 4
    for meaning in ("risk owner", "security lead", "engineering lead"):
        assert meaning in text
    assert "UTC" in text

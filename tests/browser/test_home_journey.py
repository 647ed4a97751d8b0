"""Issue 11's journey in real Chromium: a stakeholder of the demo logs in, sees that one
signature awaits them, signs from the home page, and the count drops to 0."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from risks.demo import TITLE
from risks.models import RiskAcceptance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERIC_PASSWORD = "eric-engineering-2026"  # seed_demo's DEMO_USERS


def test_a_stakeholder_sees_one_signature_awaiting_signs_from_home_and_the_count_drops(
    page, browser_login
):
    call_command("seed_demo")
    eric = get_user_model().objects.get(username="eric")
    browser_login(page, eric, password=ERIC_PASSWORD)

    assert page.url.endswith("/")  # the landing page is the home page
    assert page.inner_text("#signature-summary") == "1 signature awaits you"
    assert page.inner_text("#nav-open-count") == "1"

    page.click(f"#inbox-signatures a:has-text('{TITLE}')")
    page.wait_for_load_state()
    assert "/sign/" in page.url
    page.check("input[name=verdict][value=approve]")
    page.fill("#id_password", ERIC_PASSWORD)
    page.click("#sign-button")
    page.wait_for_load_state()

    assert RiskAcceptance.objects.get(title=TITLE).state == "accepted"
    assert page.locator("#nav-open-count").count() == 0  # no badge: nothing open
    page.click("#nav-inbox")
    page.wait_for_load_state()
    assert page.inner_text("#inbox-summary").startswith("Nothing awaits you right now.")
    assert page.locator("#signature-summary").count() == 0
    assert page.get_attribute("#inbox-signatures .inbox-count", "data-count") == "0"
    page.screenshot(path="var/home-after-signing.png", full_page=True)

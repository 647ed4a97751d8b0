"""The acceptance form in Chromium: mitigation and signatory rows added and removed in place."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from risks.models import RiskAcceptance
from tests.risks.conftest import risks_without_trigger_hooks  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mitigations_and_signatories_are_added_and_removed_without_a_page_load(
    page, browser_login, architect, stakeholder, stakeholder2
):
    browser_login(page, architect)
    page.goto("/risks/new/")
    page.evaluate("window.rowsMarker = 'same page'")
    page.fill("#id_title", "JS-readable Cognito tokens")
    page.fill("#id_risk_statement", "Any **XSS** can read the tokens.")
    page.select_option("#id_owner", str(stakeholder.pk))
    page.fill("#id_expires_on", (timezone.localdate() + timedelta(days=180)).isoformat())

    rows = page.locator("[data-rows=m] .mitigation-row:visible")
    start = rows.count()
    for _ in range(2):
        page.get_by_role("button", name="Add a mitigation").click()
    expect(rows).to_have_count(start + 2)
    texts = ["Strict nonce-based CSP", "Short-lived tokens", "Dropped", "WAF rule", "Pentest"]
    for i, text in enumerate(texts[: start + 2]):
        page.fill(f"#id_m-{i}-description", text)
    page.get_by_role("button", name="Remove mitigation 3").click()
    expect(rows).to_have_count(start + 1)

    page.get_by_role("button", name="Add a signatory").click()
    page.select_option("#id_s-0-user", str(stakeholder.pk))
    page.fill("#id_s-0-meaning", "risk owner")
    last = page.locator("[data-rows=s] .signatory-row").count() - 1
    page.select_option(f"#id_s-{last}-user", str(stakeholder2.pk))
    page.fill(f"#id_s-{last}-meaning", "security lead")
    assert page.evaluate("window.rowsMarker") == "same page"

    page.click("#save-acceptance")
    page.wait_for_url("**/risks/*/")
    acceptance = RiskAcceptance.objects.get()
    kept = [t for i, t in enumerate(texts[: start + 2]) if i != 2]
    assert sorted(m.description for m in acceptance.mitigations.all()) == sorted(kept)
    assert sorted(s.meaning for s in acceptance.signatories.all()) == [
        "risk owner",
        "security lead",
    ]

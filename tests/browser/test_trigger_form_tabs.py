"""The new-trigger form's kind tabs in Chromium: switching keeps what was typed."""

import pytest
from playwright.sync_api import expect

from tests.triggers.conftest import acceptance_and_sunset, deferred_decision, roles  # noqa: F401
from triggers.models import Trigger

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_kind_tabs_keep_typed_input_and_the_preselected_acceptance(
    page,
    browser_login,
    architect,
    acceptance_and_sunset,  # noqa: F811
):
    acceptance, _sunset = acceptance_and_sunset
    browser_login(page, architect)
    page.goto(f"/triggers/new/?acceptance={acceptance.pk}")
    # A full page load would drop this; the tabs only rewrite the address (replaceState).
    page.evaluate("window.tabMarker = 'same page'")
    acceptance_select = page.locator("#id_risk_acceptance")
    expect(acceptance_select).to_have_value(str(acceptance.pk))

    page.fill("#id_name", "Renewal window opens")
    page.fill("#id_date", "2031-03-31")
    page.get_by_role("tab", name="Metric").click()
    expect(page.get_by_role("tabpanel", name="Metric")).to_be_visible()
    expect(page.locator("#id_date")).to_be_hidden()
    page.fill("#id_url", "https://metrics.example.com/usage.json")
    assert "kind=metric" in page.url and f"acceptance={acceptance.pk}" in page.url

    page.get_by_role("tab", name="Date").click()
    expect(page.locator("#id_date")).to_have_value("2031-03-31")
    expect(page.locator("#id_name")).to_have_value("Renewal window opens")
    expect(acceptance_select).to_have_value(str(acceptance.pk))
    page.get_by_role("tab", name="Metric").click()
    expect(page.locator("#id_url")).to_have_value("https://metrics.example.com/usage.json")
    assert page.evaluate("window.tabMarker") == "same page"

    # Back on Date, arming saves a date trigger with the acceptance it was opened from.
    page.get_by_role("tab", name="Date").click()
    page.get_by_role("button", name="Arm the trigger").click()
    page.wait_for_url("**/triggers/*/")
    trigger = Trigger.objects.get(name="Renewal window opens")
    assert (trigger.kind, trigger.params["date"]) == ("date", "2031-03-31")
    assert trigger.risk_acceptance_id == acceptance.pk

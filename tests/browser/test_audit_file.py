"""The audit file's Print button in real Chromium: our static script under the CSP
opens the print dialog, and the print stylesheet hides the page's chrome."""

import pytest

from risks import services
from tests.conftest import PASSWORD
from tests.risks.conftest import (  # noqa: F401 - fixtures
    deferral,
    draft,
    risks_without_trigger_hooks,
    submitted,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_print_button_opens_the_print_dialog_and_print_hides_the_chrome(
    page,
    browser_login,
    auditor,
    stakeholder,
    submitted,  # noqa: F811 - the fixture above
):
    services.acceptance_sign(
        actor=stakeholder, acceptance=submitted, password=PASSWORD, verdict="approve"
    )
    # The browser's print dialog is the outside world: count the calls instead.
    page.add_init_script("window.__prints = 0; window.print = () => { window.__prints += 1; };")
    browser_login(page, auditor)
    page.goto(f"/risks/{submitted.pk}/print/")
    button = page.get_by_role("button", name="Print the audit file")
    assert button.is_visible()
    assert page.evaluate("window.__prints") == 0
    button.click()
    page.wait_for_function("window.__prints === 1")
    page.emulate_media(media="print")
    assert not button.is_visible()
    assert not page.locator(".site-header").is_visible()
    assert page.locator("#valid-signatures").is_visible()

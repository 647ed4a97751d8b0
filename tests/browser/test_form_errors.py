"""Form errors are shown where the eye is: after a wrong signing password the page comes
back with the focus on the error (announced: role=alert, aria-live), scrolled into view,
not 3,000 px below the fold. The login and sign pages (not reached by the site walk)
pass axe-core with and without their errors."""

from __future__ import annotations

import pytest

from tests.browser.site_walk import AXE_RUN, require_axe, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_wrong_signing_password_moves_the_focus_to_the_error(chromium_browser, live_server):
    from risks.models import RiskAcceptance
    from tests.conftest import require_postgres

    require_postgres()
    axe_source = require_axe()
    seed_demo()
    acceptance = RiskAcceptance.objects.get(state="awaiting")  # Eric has not signed yet
    context = chromium_browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}
    )
    context.add_init_script(script=axe_source)
    page = context.new_page()
    violations: list[str] = []
    page.goto("/accounts/login/")
    page.fill("#id_username", "eric")
    page.fill("#id_password", "a-wrong-one")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "error" in page.evaluate("document.activeElement.className"), "login error not focused"
    violations += page.evaluate(AXE_RUN)
    page.fill("#id_username", "eric")
    page.fill("#id_password", "eric-engineering-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/risks/{acceptance.pk}/sign/")
    violations += page.evaluate(AXE_RUN)
    page.check("input[name=verdict][value=approve]")
    page.fill("#id_password", "not-my-password")
    page.click("#sign-button")
    page.wait_for_load_state()
    page.wait_for_function("document.activeElement && document.activeElement !== document.body")
    focused = page.evaluate(
        """() => { const el = document.activeElement; const r = el.getBoundingClientRect();
        return {text: el.innerText, role: el.getAttribute('role'),
                live: el.getAttribute('aria-live'), top: r.top, bottom: r.bottom,
                height: innerHeight}; }"""
    )
    violations += page.evaluate(AXE_RUN)  # the sign page with its error, on a phone
    context.close()
    assert not violations, violations
    assert "password" in focused["text"].lower(), focused
    assert focused["role"] == "alert" and focused["live"] == "assertive", focused
    assert focused["top"] >= 0 and focused["bottom"] <= focused["height"], focused

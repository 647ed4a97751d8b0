"""axe-core on every page type as each role, at 1366 px (light) and at 390 px (dark): no
critical and no serious violation, and no page scrolls sideways on a phone.

The demo data is seeded once and one browser is reused: this is one test, walking the
site four times (one per role), so that the whole check stays within a few minutes.
"""

from __future__ import annotations

import pytest

from tests.browser.site_walk import (
    AXE_RUN,
    REQUIRED_PAGE_TYPES,
    ROLES,
    login,
    require_axe,
    seed_demo,
    walk,
)

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


SIDEWAYS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_every_page_as_every_role_passes_axe_and_fits_a_phone(chromium_browser, live_server):
    from tests.conftest import require_postgres

    require_postgres()
    axe_source = require_axe()
    seed_demo()
    problems: list[str] = []
    checked = 0
    for role in ROLES:
        context = chromium_browser.new_context(
            base_url=live_server.url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(20_000)
        csp: list[str] = []
        pg = login(context, live_server.url, role)
        pg.on(
            "console",
            lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
        )
        # Via the DevTools protocol, not an inline <script>: the product's CSP stays on.
        context.add_init_script(script=axe_source)

        def check(page, path, role=role):
            nonlocal checked
            checked += 1
            # The phone pass also runs in dark mode (prefers-color-scheme), the desktop in light.
            for width, viewport, scheme in (("1366", DESKTOP, "light"), ("390", PHONE, "dark")):
                page.set_viewport_size(viewport)
                page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
                # Colours measured mid-transition would be neither theme's: wait them out.
                page.wait_for_function(
                    "document.getAnimations().every(a => a.playState !== 'running')"
                )
                for line in page.evaluate(AXE_RUN):
                    problems.append(f"{role} {path} @{width}px: {line}")
            scroll_width, inner = page.evaluate(SIDEWAYS)
            if scroll_width > inner:
                problems.append(f"{role} {path} @390px scrolls sideways: {scroll_width} > {inner}")
            page.set_viewport_size(DESKTOP)
            page.emulate_media(color_scheme="light")

        pg.goto("/")  # the init script applies from the next navigation on
        walked = walk(pg, live_server.url, on_page=check)
        assert len(set(walked.pages.values())) >= 8, f"{role} reached too few pages: {walked.pages}"
        missing = set(REQUIRED_PAGE_TYPES) - set(walked.pages.values())
        assert not missing, f"{role} never reached {sorted(missing)}"
        problems.extend(f"{role}: CSP {line}" for line in csp)
        context.close()
    assert checked >= 40
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)

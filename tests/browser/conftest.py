"""Real headless Chromium (Debian's), driven by Playwright with its executable path set.

Fixtures: `page` — a fresh browser context on the live server; `browser_login(page, user)`.
Any Content-Security-Policy violation reported in the console fails the test.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import PASSWORD, require_chromium

# Playwright's sync API runs an event loop in this thread; the Django test DB access
# it interleaves with is still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_browser():
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    context = chromium_browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    violations: list[str] = []
    pg.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    yield pg
    context.close()
    assert not violations, f"CSP violations in the browser: {violations}"


@pytest.fixture
def browser_login():
    def _login(pg, user, password: str = PASSWORD):
        pg.goto("/accounts/login/")
        pg.fill("#id_username", user.username)
        pg.fill("#id_password", password)
        pg.click("button[type=submit]")
        pg.wait_for_load_state()
        assert "/accounts/login/" not in pg.url, "login failed"
        return pg

    return _login

"""Phones and keyboards: at 390 px the navigation collapses behind a "Menu" button (one
row, not three), opens and closes; the first Tab reaches a skip link that moves the focus
to the content; a focused link shows a visible outline; the theme follows the system's
colour scheme (no forced light theme)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_navigation_skip_link_focus_and_dark_mode(page, browser_login, architect):
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, architect)
    page.goto("/decisions/")

    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 100, f"the header takes {header['height']} px on a phone"
    nav_link = page.locator("#main-nav a", has_text="Risk acceptances")
    toggle = page.locator(".nav-toggle")
    assert not nav_link.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert nav_link.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert not nav_link.is_visible()

    page.goto("/decisions/")  # a fresh page: the first Tab starts from the top
    page.keyboard.press("Tab")
    skip = page.evaluate("[document.activeElement.className, document.activeElement.innerText]")
    assert skip == ["skip-link", "Skip to content"]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused skip link has no visible outline"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.set_viewport_size({"width": 1366, "height": 900})
    assert nav_link.is_visible() and not toggle.is_visible()

    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    assert page.evaluate("document.documentElement.dataset.theme") is None
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    page.emulate_media(color_scheme="light", reduced_motion="reduce")
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert dark != light, (dark, light)

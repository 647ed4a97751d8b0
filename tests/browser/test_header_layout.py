"""The header as people see it, at desktop (1366 px) and phone (390 px) widths: the search
box's icon never covers the text typed into it, and the main navigation — brand, links,
search and the user menu — stays on one line at 1366 px for the roles that see the most
links (staff, architect, auditor), with two-digit unread counts and a long name showing;
below 1024 px (a tablet, a phone) the links fold behind the "Menu" button, which opens.

The demo data gives each role its real links; one browser context per role.
"""

from __future__ import annotations

import pytest

from tests.browser.site_walk import ROLES, login, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 800, "height": 1024}
PHONE = {"width": 390, "height": 844}

# Pico draws the search icon as a background image of the input: where it is drawn, and
# where the text starts (the padding box's left plus the padding), in page pixels.
SEARCH_GEOMETRY = """(input) => {
  const style = getComputedStyle(input);
  const box = input.getBoundingClientRect();
  const px = (value) => {
    if (!/^-?[0-9.]+px$/.test(value)) throw new Error(`not a length in px: ${value}`);
    return parseFloat(value);
  };
  const border = px(style.borderLeftWidth);
  const iconLeft = box.left + border + px(style.backgroundPositionX);
  return {
    image: style.backgroundImage,
    boxLeft: box.left,
    boxRight: box.right,
    iconLeft,
    iconRight: iconLeft + px(style.backgroundSize.split(" ")[0]),
    textLeft: box.left + border + px(style.paddingLeft),
  };
}"""

# Every top-level item of the header's navigation that is shown: its text and its box.
NAV_ITEMS = """() => [...document.querySelectorAll(".site-header nav > ul > li")]
  .filter((li) => li.getClientRects().length && getComputedStyle(li).visibility !== "hidden")
  .filter((li) => li.getBoundingClientRect().width > 0)
  .map((li) => {
    const box = li.getBoundingClientRect();
    return {
      text: li.querySelector("[type=search]") ? "[search]" : li.innerText.trim().split("\\n")[0],
      top: box.top, bottom: box.bottom, left: box.left, right: box.right,
      offsetTop: li.offsetTop,
    };
  })"""

SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
LONG_NAME = "Adelheid Montgomery-Fairweather"


def _unread(username: str, n: int) -> None:
    """`n` unread notifications for a demo user: the navigation shows a two-digit count."""
    from config.accounts.models import User
    from config.notifications.services import notification_enqueue

    user = User.objects.get(username=username)
    for i in range(n):
        notification_enqueue(
            recipient=user.email,
            event="test.message",
            dedupe_key=f"header-layout-{username}-{i}",
            template="test-message",
            context={"name": user.printed_name},
            user=user,
        )


@pytest.fixture
def demo(live_server):
    from config.accounts.models import User

    seed_demo()
    for username, _ in ROLES.values():
        _unread(username, 12)
    staff = User.objects.get(username=ROLES["staff"][0])
    staff.display_name = LONG_NAME  # the longest name a menu shows (cut, not wrapped)
    staff.save(update_fields=["display_name"])
    return live_server


def _search_box_is_clear_of_its_icon(page, where: str) -> None:
    box = page.locator(".site-header .nav-search input[type=search]")
    assert box.is_visible(), f"{where}: the header's search box is not shown"
    g = box.evaluate(SEARCH_GEOMETRY)
    assert "svg" in g["image"], f"{where}: the search box lost its icon ({g['image']})"
    assert g["boxLeft"] <= g["iconLeft"] < g["iconRight"] <= g["boxRight"], f"{where}: {g}"
    assert g["iconRight"] + 4 <= g["textLeft"], (
        f"{where}: the search icon (ends at {g['iconRight']:.1f} px) covers the text "
        f"(starts at {g['textLeft']:.1f} px)"
    )


@pytest.mark.parametrize("role", ["staff", "architect", "auditor"])
def test_the_header_fits_one_line_at_1366_and_the_search_icon_never_covers_text(
    chromium_browser, demo, role
):
    context = chromium_browser.new_context(
        base_url=demo.url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(15_000)
    try:
        page = login(context, demo.url, role)
        page.goto("/decisions/")

        items = page.evaluate(NAV_ITEMS)
        texts = [item["text"] for item in items]
        assert "Decision Ledger" in texts and "Triggers" in texts and "[search]" in texts
        assert any(t.startswith("Notifications") for t in texts), texts
        assert int(page.locator("#nav-unread-count").inner_text()) >= 12  # two digits
        # One line: every item's box spans the same band (the items differ in height, so
        # their middles, not their tops, line up; a wrapped item is a full row lower).
        middles = [(item["top"] + item["bottom"]) / 2 for item in items]
        assert max(middles) - min(middles) <= 4, (
            f"{role}: the navigation wraps at 1366 px: "
            + ", ".join(f"{i['text']}@{(i['top'] + i['bottom']) / 2:.0f}" for i in items)
        )
        assert max(item["top"] for item in items) < min(item["bottom"] for item in items)
        assert page.evaluate(SIDEWAYS) <= 0
        if role == "staff":
            summary = page.locator(".site-header details.dropdown > summary")
            assert summary.get_attribute("title") == LONG_NAME
            assert summary.bounding_box()["height"] < 60, "the long name wraps"
            # Staff tools (the outbox, the admin) are in the user's menu, one click away.
            summary.click()
            assert page.locator(".site-header details.dropdown a", has_text="Outbox").is_visible()
            summary.click()
        _search_box_is_clear_of_its_icon(page, f"{role} @1366px")

        toggle = page.locator(".nav-toggle")
        for viewport in (TABLET, PHONE):  # below 1024 px the links fold behind "Menu"
            page.set_viewport_size(viewport)
            assert toggle.is_visible(), viewport
            header = page.locator(".site-header").bounding_box()
            assert header["height"] < 100, f"{role}: the closed header takes {header['height']} px"
        toggle.click()
        assert page.locator("#main-nav a", has_text="Triggers").is_visible()
        if role == "staff":
            page.locator("#main-nav details.dropdown > summary").click()
            assert page.locator("#main-nav a", has_text="Outbox").is_visible()
        assert page.evaluate(SIDEWAYS) <= 0, f"{role}: the open menu scrolls sideways"
        _search_box_is_clear_of_its_icon(page, f"{role} @390px")
    finally:
        context.close()

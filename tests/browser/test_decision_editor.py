"""The decision editor in real Chromium: rows added in place, a live matrix, one save."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from adr.models import Decision, MatrixCell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPTIONS = ["BFF proxy", "Token broker", "Gateway authorizer", "Conscious deferral"]
CRITERIA = ["Frontend impact", "Cost surface", "Reversibility", "Time to ship", "Audit trail"]
WEIGHTS = ["3", "2", "1", "1.5", "0.5"]
NOTES = [
    ("The SPA moves to server rendering", "Frontend impact no longer counts"),
    ("A managed gateway becomes available", "The gateway's cost drops"),
    ("The pentest is repeated", "Deferral is no longer acceptable"),
]


# What sticks out of the viewport, for the message of a failed "no sideways scroll".
WIDER = """() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right + window.scrollX > window.innerWidth + 1)
  .filter((el) => !el.parentElement.closest(".overflow-auto, .table-scroll"))
  .slice(0, 8).map((el) => el.tagName + "." + el.className + "#" + el.id)"""


def score(ci: int, oi: int) -> int:
    return (ci + 2 * oi) % 6


def weighted_total(oi: int) -> str:
    total = sum(Decimal(WEIGHTS[ci]) * score(ci, oi) for ci in range(len(CRITERIA)))
    return format(total.normalize(), "f")


def add_rows(page, button: str, rows: str, want: int) -> None:
    while page.locator(rows).count() < want:
        before = page.locator(rows).count()
        page.get_by_role("button", name=button).click()
        expect(page.locator(rows)).to_have_count(before + 1)


def test_an_architect_builds_a_weighted_decision_without_a_page_load_and_saves_once(
    page, browser_login, architect, log
):
    browser_login(page, architect)
    page.goto("/decisions/new/?log=AUTH")
    # From here on, any full-page navigation would be counted, and would drop the marker.
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    page.evaluate("window.editorMarker = 'still the same page'")

    page.fill("#id_title", "Keep auth tokens away from JavaScript")
    page.fill("#id_context", "The pentest found **JS-readable** tokens.")

    option_cards = "#options article.option-form:visible"
    add_rows(page, "Add an option", option_cards, len(OPTIONS) + 1)
    for i, title in enumerate(OPTIONS):
        page.fill(f"#id_options-{i}-title", title)
    # One too many: removed again in place, so it is neither posted as a row nor saved.
    page.fill(f"#id_options-{len(OPTIONS)}-title", "Second thoughts")
    page.get_by_role("button", name=f"Remove option {len(OPTIONS) + 1}").click()
    expect(page.locator(option_cards)).to_have_count(len(OPTIONS))
    page.check("#id_options-0-chosen")

    add_rows(page, "Add a criterion", "#matrix tbody[data-rows-list] tr:visible", len(CRITERIA))
    for i, (name, weight) in enumerate(zip(CRITERIA, WEIGHTS, strict=True)):
        page.fill(f"#id_criteria-{i}-name", name)
        page.fill(f"#id_criteria-{i}-weight", weight)

    # The grid's headers are the names as typed; every cell is labelled by them.
    expect(page.locator("#matrix-grid thead th:visible")).to_have_text(
        ["Criterion", "Weight", *OPTIONS]
    )
    expect(page.locator("#matrix-grid tbody th:visible")).to_have_text(CRITERIA)
    for ci, criterion in enumerate(CRITERIA):
        for oi, option in enumerate(OPTIONS):
            # (By accessible name: aria-labelledby joins the two headers' current text.)
            note = page.get_by_role("textbox", name=f"Note on {option} against {criterion}")
            note.fill(f"{criterion}/{option}")
            page.get_by_role(
                "combobox", name=f"Score of {option} against {criterion}", exact=True
            ).select_option(str(score(ci, oi)))
    # Weighted totals, before anything is saved.
    for oi, option in enumerate(OPTIONS):
        expect(page.locator(f"#mx-total-{oi}")).to_have_text(weighted_total(oi))
    page.fill("#id_criteria-0-weight", "4")
    bumped = Decimal(weighted_total(1)) + score(0, 1)
    expect(page.locator("#mx-total-1")).to_have_text(format(bumped.normalize(), "f"))
    page.fill("#id_criteria-0-weight", WEIGHTS[0])
    expect(page.locator("#mx-total-1")).to_have_text(weighted_total(1))

    add_rows(page, "Add a sensitivity note", "#notes tbody tr:visible", len(NOTES))
    for i, (condition, consequence) in enumerate(NOTES):
        page.get_by_label(f"Sensitivity note {i + 1}: condition", exact=True).fill(condition)
        page.get_by_label(f"Sensitivity note {i + 1}: consequence", exact=True).fill(consequence)
    favours = page.get_by_label("Sensitivity note 2: favours", exact=True)
    favours.select_option(label=f"Option 3: {OPTIONS[2]}")

    # The page fits: at 1366 px and at 390 px the grid scrolls inside its own box, with
    # the criterion column sticky; the page itself never scrolls sideways.
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, (width, scroll, inner, page.evaluate(WIDER))
    assert page.eval_on_selector("#mx-c-0", "th => getComputedStyle(th).position") == "sticky"
    page.set_viewport_size({"width": 1366, "height": 900})

    assert navigations == []
    assert page.evaluate("window.editorMarker") == "still the same page"
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/decisions/AUTH-0001/")
    assert len(navigations) == 1  # the save, and nothing before it

    d = Decision.objects.get(log=log, number=1)
    assert [o.title for o in d.options.order_by("position")] == OPTIONS
    assert MatrixCell.objects.filter(criterion__decision=d).count() == 20
    assert page.locator(".options-grid article").count() == len(OPTIONS)
    expect(page.locator("table.matrix tbody th")).to_have_count(len(CRITERIA))
    expect(page.locator("table.matrix td[class^=score-]")).to_have_count(20)
    expect(page.locator("table.matrix tfoot td.total")).to_have_text(
        [weighted_total(oi) for oi in range(len(OPTIONS))]
    )
    notes = page.locator("ul.sensitivity li")
    expect(notes).to_have_count(len(NOTES))
    expect(notes.nth(1)).to_contain_text(f"favours {OPTIONS[2]}")

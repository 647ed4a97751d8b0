"""The create → edit → History journey in real headless Chromium."""

import pytest
from playwright.sync_api import expect

from adr.models import Decision, MatrixCell

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_architect_creates_edits_and_reads_the_history_of_a_decision(
    page, browser_login, architect, log
):
    browser_login(page, architect)
    page.goto("/decisions/logs/AUTH/")
    page.click("text=New decision")
    page.wait_for_url("**/decisions/new/?log=AUTH")

    page.fill("#id_title", "Keep auth tokens away from JavaScript")
    page.fill("#id_context", "The pentest found **JS-readable** tokens.")
    # The Markdown preview comes back over htmx, sanitised.
    page.locator(".md-field:has(#id_context) button.preview-button").click()
    page.wait_for_selector("#preview-context strong")
    assert page.inner_text("#preview-context strong") == "JS-readable"

    page.fill("#id_drivers", "No JS-readable tokens\nSmall frontend change")
    options = ["BFF proxy", "Token broker", "Conscious deferral"]
    criteria = ["Frontend impact", "Cost surface", "Reversibility"]
    for i, title in enumerate(options):
        page.fill(f"#id_options-{i}-title", title)
    for i, name in enumerate(criteria):
        page.fill(f"#id_criteria-{i}-name", name)
    page.check("#id_options-2-chosen")
    for ci in range(3):
        for oi in range(3):
            page.fill(f"[name=cell-{ci}-{oi}-text]", f"{criteria[ci]} / {options[oi]}")
            page.select_option(f"[name=cell-{ci}-{oi}-score]", str((ci + 2 * oi) % 6))
    page.click("#save-decision")
    page.wait_for_url("**/decisions/AUTH-0001/")

    assert "Keep auth tokens away from JavaScript" in page.inner_text("h1")
    assert page.locator("table.matrix tbody tr").count() == 3
    assert page.locator("table.matrix td[class^=score-]").count() == 9
    assert page.locator(".options-grid article").count() == 3
    d = Decision.objects.get(log=log, number=1)
    assert MatrixCell.objects.filter(criterion__decision=d).count() == 9

    # Edit: a new title, a Markdown change, one cell's score.
    page.click("nav.tabs >> text=Edit")
    page.wait_for_url("**/decisions/AUTH-0001/edit/")
    page.fill("#id_title", "Keep auth tokens out of JavaScript's reach")
    page.fill("#id_context", "The pentest found **JS-readable** tokens.\nA BFF is the target.")
    page.select_option("[name=cell-0-0-score]", "5")
    # "Add a criterion" adds a row in place (rows.js), keeping what was typed.
    names = page.locator("input[name^='criteria-'][name$='-name']")
    before = names.count()
    page.click("button:has-text('Add a criterion')")
    expect(names).to_have_count(before + 1)
    assert page.url.endswith("/decisions/AUTH-0001/edit/")
    assert page.input_value("#id_title") == "Keep auth tokens out of JavaScript's reach"
    assert page.input_value("[name=cell-0-0-score]") == "5"
    page.fill("#id_reason", "after the security review")
    page.click("#save-decision")
    page.wait_for_url("**/decisions/AUTH-0001/")
    assert "out of JavaScript's reach" in page.inner_text("h1")

    page.click("nav.tabs >> text=History")
    page.wait_for_url("**/decisions/AUTH-0001/history/")
    body = page.inner_text("main")
    assert "after the security review" in body
    assert page.locator("del", has_text="Keep auth tokens away from JavaScript").count() == 1
    assert page.locator("ins", has_text="out of JavaScript's reach").count() == 1
    assert page.locator(".diff-add", has_text="A BFF is the target.").count() == 1
    assert "Alice Architect" in body

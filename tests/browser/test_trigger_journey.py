"""Journey 4 in headless Chromium: the sunset fires → staff sees the email → acknowledge."""

import pytest
from django.utils import timezone

from tests.triggers.conftest import roles  # noqa: F401 - fixture
from triggers.models import FiredEvent, Trigger
from triggers.services import trigger_create
from triggers.sweep import sweep

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("roles"),
]


def test_a_fired_sunset_shows_in_the_outbox_and_is_acknowledged_in_the_ui(
    page, browser_login, architect, staff, stakeholder, log
):
    from adr.services import decision_create

    decision = decision_create(actor=architect, log=log, title="Defer HttpOnly cookies")
    trigger = trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": timezone.localdate().isoformat(), "lead_days": []},
        decisions=[decision],
        watchers=[stakeholder, staff],
    )
    assert sweep().fired == 1  # what beat runs every minute

    browser_login(page, staff)
    page.goto("/outbox/")
    link = page.get_by_role("link", name="Trigger fired: Legacy frontend sunset").first
    assert link.is_visible()
    assert page.get_by_text(stakeholder.email).first.is_visible()
    link.click()
    page.wait_for_load_state()
    assert "has arrived" in page.content()

    page.goto("/triggers/")
    assert page.locator("svg.timeline").is_visible()
    page.get_by_role("link", name="Legacy frontend sunset").first.click()
    page.wait_for_load_state()
    assert page.locator(".state-fired").first.is_visible()
    assert page.get_by_text("needs review").first.is_visible()
    page.click("#acknowledge")
    page.wait_for_load_state()
    assert page.get_by_text("Acknowledged: reminders stop.").is_visible()
    trigger.refresh_from_db()
    assert trigger.state == "acknowledged"
    assert FiredEvent.objects.get().acknowledged_by == staff
    assert Trigger.objects.get().next_check_at is None

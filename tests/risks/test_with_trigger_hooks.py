"""With the triggers app's hooks plugged in, as in the running product."""

import pytest

from risks import hooks
from tests.risks.conftest import add_date_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def risks_without_trigger_hooks():
    """Keep every registered hook (overrides the conftest fixture)."""


def test_hooks_are_registered():
    assert hooks.SUBMIT_CHECKS and hooks.ACCEPTANCE_SAVED and hooks.MITIGATION_REMOVING
    assert hooks.EMAIL_CONTEXT and hooks.ACCEPTANCE_PANELS.panels()


def test_submitting_needs_a_trigger_then_goes_to_signature(login, architect, draft):
    client = login(architect)
    response = client.post(f"/risks/{draft.pk}/submit/", follow=True)
    assert b"trigger" in response.content
    draft.refresh_from_db()
    assert draft.state == "draft"
    add_date_trigger(architect, draft)
    client.post(f"/risks/{draft.pk}/submit/")
    draft.refresh_from_db()
    assert draft.state == "awaiting"
    # The expiry trigger follows the acceptance (ACCEPTANCE_SAVED).
    assert draft.triggers.filter(kind="expiry").exists()


def test_the_accepted_email_says_a_trigger_may_end_it_first(
    architect, stakeholder, stakeholder2, stakeholder3, draft
):
    from config.notifications.models import Notification
    from risks import notify, services

    add_date_trigger(architect, draft)
    services.acceptance_submit(actor=architect, acceptance=draft)
    for user in (stakeholder, stakeholder2, stakeholder3):
        services.sign_verified(actor=user, acceptance=draft, verdict="approve")
    until = draft.expires_on.isoformat()
    mail = Notification.objects.get(event="acceptance.accepted", recipient="sam@example.test")
    assert f"It holds until {until}, unless a trigger fires first." in mail.body_text
    assert f"It holds until {until}, unless a trigger fires first.</p>" in mail.body_html
    # The caveat is the triggers app's (through hooks.EMAIL_CONTEXT), not the risks email's.
    for contributor in hooks.EMAIL_CONTEXT:
        hooks.EMAIL_CONTEXT.unregister(contributor)
    assert "expiry_caveat" not in notify.email_context(draft, template="risk-accepted")

"""With the triggers app's hooks plugged in, as in the running product."""

import pytest

from risks import hooks
from tests.risks.conftest import add_date_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def risks_without_trigger_hooks():
    """Keep every registered hook (overrides the conftest fixture)."""


def test_hooks_are_registered():
    assert hooks.SUBMIT_CHECKS and hooks.ACCEPTANCE_SAVED


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

"""adr's extension points: later apps plug in through registries (adr/panels.py,
services.DEFERRAL_ALTERNATIVES); adr renders and checks only what is registered."""

import pytest
from django.core.exceptions import ValidationError

from adr.panels import DECISION_RELATED, SENSITIVITY_NOTE_BADGES
from adr.services import (
    DEFERRAL_ALTERNATIVES,
    decision_change_status,
    decision_create,
    sensitivity_note_save,
)

pytestmark = pytest.mark.django_db


def test_the_decision_page_shows_the_panels_registered_for_it_and_no_other(
    architect, auditor, log, login
):
    d = decision_create(actor=architect, log=log, title="Panelled")
    sensitivity_note_save(actor=architect, decision=d, condition="If it rains")
    client = login(auditor)
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "<h2>Relations, risk acceptances and triggers</h2>" in page
    assert "<strong>Risk acceptances</strong>" in page and "<strong>Triggers</strong>" in page

    # The registry is reset after the test (tests/conftest.py `registries`).
    for slot in (DECISION_RELATED, SENSITIVITY_NOTE_BADGES):
        for panel in slot.panels():
            slot.registry.unregister(panel)
    page = client.get("/decisions/AUTH-0001/").content.decode()
    assert "<h2>Relations</h2>" in page
    assert "<strong>Risk acceptances</strong>" not in page
    assert "<strong>Triggers</strong>" not in page


def test_a_deferral_is_backed_by_what_a_later_app_registers(architect, log):
    d = decision_create(actor=architect, log=log, title="Defer me")
    backed: set[int] = set()
    for check in DEFERRAL_ALTERNATIVES.items():
        DEFERRAL_ALTERNATIVES.unregister(check)
    with pytest.raises(ValidationError):
        decision_change_status(actor=architect, decision=d, status="deferred")
    DEFERRAL_ALTERNATIVES.register(lambda decision: decision.pk in backed)
    backed.add(d.pk)
    d = decision_change_status(actor=architect, decision=d, status="deferred")
    assert d.status == "deferred" and d.revisit_by is None

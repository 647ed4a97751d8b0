"""The status lifecycle: proposed → accepted | rejected | deferred; accepted → deprecated |
superseded; every other move is refused with a clear message."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from adr.models import Decision
from adr.services import (
    TRANSITIONS,
    decision_change_status,
    decision_create,
    relation_add,
)

pytestmark = pytest.mark.django_db
S = Decision.Status
# The product brief's lifecycle, written out independently of adr.services.TRANSITIONS.
SPEC: dict[str, set[str]] = {
    S.PROPOSED: {S.ACCEPTED, S.REJECTED, S.DEFERRED},
    S.DEFERRED: {S.PROPOSED, S.ACCEPTED, S.REJECTED},
    S.ACCEPTED: {S.DEPRECATED, S.SUPERSEDED},
    S.REJECTED: set(),
    S.DEPRECATED: set(),
    S.SUPERSEDED: set(),
}
ALLOWED = sorted((src, dst) for src, dsts in SPEC.items() for dst in dsts)
FORBIDDEN = sorted(
    (src, dst) for src in S.values for dst in S.values if src != dst and dst not in SPEC[src]
)
REVISIT = date(2027, 6, 30)


def decision_in(architect, log, status: str) -> Decision:
    d = decision_create(actor=architect, log=log, title=f"Now {status}")
    path = {
        S.PROPOSED: [],
        S.ACCEPTED: [S.ACCEPTED],
        S.REJECTED: [S.REJECTED],
        S.DEFERRED: [S.DEFERRED],
        S.DEPRECATED: [S.ACCEPTED, S.DEPRECATED],
        S.SUPERSEDED: [S.ACCEPTED, S.SUPERSEDED],
    }[status]
    for step in path:
        d = decision_change_status(actor=architect, decision=d, status=step, revisit_by=REVISIT)
    assert d.status == status
    return d


def test_the_lifecycle_is_the_one_in_the_product_brief():
    assert TRANSITIONS == SPEC


@pytest.mark.parametrize("src, dst", ALLOWED)
def test_each_allowed_transition_is_accepted(architect, log, src, dst):
    d = decision_in(architect, log, src)
    before = d.updated_at
    d = decision_change_status(
        actor=architect, decision=d, status=dst, reason="because", revisit_by=REVISIT
    )
    d.refresh_from_db()
    assert d.status == dst
    assert d.updated_at > before
    # Accepting or rejecting decides; an accepted decision keeps the day it was decided.
    assert (d.decided_on is not None) == (dst in (S.ACCEPTED, S.REJECTED) or src == S.ACCEPTED)
    assert d.history.first().history_change_reason == "because"
    assert d.history.first().history_user == architect


@pytest.mark.parametrize("src, dst", FORBIDDEN)
def test_each_forbidden_transition_is_refused_with_a_clear_message(architect, log, src, dst):
    d = decision_in(architect, log, src)
    with pytest.raises(ValidationError) as error:
        decision_change_status(actor=architect, decision=d, status=dst, revisit_by=REVISIT)
    allowed = ", ".join(sorted(SPEC[src])) or "none"
    assert f"cannot become {S(dst).label.lower()} (allowed: {allowed})." in str(error.value)
    d.refresh_from_db()
    assert d.status == src


def test_deferring_without_a_revisit_date_is_refused(architect, log):
    d = decision_create(actor=architect, log=log, title="Later")
    with pytest.raises(ValidationError) as error:
        decision_change_status(actor=architect, decision=d, status=S.DEFERRED)
    assert "procrastination" in str(error.value)
    d.refresh_from_db()
    assert d.status == S.PROPOSED


def test_deferring_with_a_revisit_date_records_it(architect, log):
    d = decision_create(actor=architect, log=log, title="Later")
    d = decision_change_status(actor=architect, decision=d, status=S.DEFERRED, revisit_by=REVISIT)
    assert (d.status, d.revisit_by) == (S.DEFERRED, REVISIT)


def test_accepting_sets_the_decision_date(architect, log):
    d = decision_create(actor=architect, log=log, title="Now")
    d = decision_change_status(actor=architect, decision=d, status=S.ACCEPTED)
    assert d.decided_on is not None
    assert d.history.first().history_change_reason == "status → accepted"


def test_superseding_sets_the_other_decision_superseded(architect, log):
    old = decision_in(architect, log, S.ACCEPTED)
    new = decision_create(actor=architect, log=log, title="Newer")
    relation_add(actor=architect, source=new, target=old, kind="supersedes")
    old.refresh_from_db()
    assert old.status == S.SUPERSEDED
    assert "superseded by AUTH-0002" in old.history.first().history_change_reason


def test_only_an_accepted_decision_can_be_superseded(architect, log):
    old = decision_create(actor=architect, log=log, title="Still proposed")
    new = decision_create(actor=architect, log=log, title="Newer")
    with pytest.raises(ValidationError):
        relation_add(actor=architect, source=new, target=old, kind="supersedes")


@pytest.mark.parametrize("persona", ["stakeholder", "auditor", "outsider"])
def test_only_architects_change_status(request, architect, log, persona):
    d = decision_create(actor=architect, log=log, title="Mine")
    with pytest.raises(PermissionDenied):
        decision_change_status(
            actor=request.getfixturevalue(persona), decision=d, status=S.ACCEPTED
        )


# --- the status form on the detail page ------------------------------------------


def test_the_status_form_offers_only_allowed_transitions(architect, log, login):
    decision_create(actor=architect, log=log, title="Mine")
    page = login(architect).get("/decisions/AUTH-0001/").content.decode()
    form = page[page.index('name="status"') : page.index("</select>", page.index('name="status"'))]
    assert 'value="accepted"' in form and 'value="deferred"' in form
    assert 'value="superseded"' not in form and 'value="deprecated"' not in form


def test_deferring_in_the_page_without_a_date_shows_the_services_message(architect, log, login):
    decision_create(actor=architect, log=log, title="Mine")
    response = login(architect).post("/decisions/AUTH-0001/status/", {"status": "deferred"})
    assert response.status_code == 400
    assert "a deferral without a trigger is procrastination" in response.content.decode()
    assert Decision.objects.get().status == S.PROPOSED


def test_deferring_in_the_page_with_a_date_works(architect, log, login):
    decision_create(actor=architect, log=log, title="Mine")
    response = login(architect).post(
        "/decisions/AUTH-0001/status/",
        {"status": "deferred", "revisit_by": "2027-06-30", "reason": "waiting for RBAC"},
    )
    assert response.status_code == 302
    d = Decision.objects.get()
    assert (d.status, d.revisit_by) == (S.DEFERRED, REVISIT)
    assert d.history.first().history_change_reason == "waiting for RBAC"


@pytest.mark.parametrize(
    "data",
    [
        {"status": "superseded"},
        {"status": "nonsense"},
        {"status": "deferred", "revisit_by": "31/31/2027"},
        {},
    ],
)
def test_bad_status_changes_are_refused_inline(architect, log, login, data):
    decision_create(actor=architect, log=log, title="Mine")
    response = login(architect).post("/decisions/AUTH-0001/status/", data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert Decision.objects.get().status == S.PROPOSED

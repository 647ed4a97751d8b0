"""No lost updates on risk acceptances (PostgreSQL, one connection per editor)."""

from __future__ import annotations

import pytest

from config.concurrency import ConflictError
from risks import services
from risks.models import RiskAcceptance
from tests.adr.test_lost_updates import one_wins
from tests.conftest import require_postgres
from tests.support.race import queued_on_row_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def acceptance_editor(actor, pk: int, **typed):
    def load():
        loaded = RiskAcceptance.objects.get(pk=pk)

        def save():
            return services.acceptance_update(
                actor=actor, acceptance=loaded, expected_version=loaded.version, **typed
            )

        return save

    return load


def test_two_concurrent_edits_of_an_acceptance_the_second_is_refused(architect, draft):
    require_postgres()
    mitigations = list(draft.mitigations.values_list("description", flat=True))
    outcomes = queued_on_row_lock(
        RiskAcceptance,
        draft.pk,
        acceptance_editor(architect, draft.pk, title="Alice's title", likelihood=2),
        acceptance_editor(
            architect,
            draft.pk,
            title="Bob's title",
            mitigations=[{"description": "Bob's only mitigation"}],
        ),
    )
    winner = one_wins(outcomes)
    draft.refresh_from_db()
    if winner == 0:
        assert (draft.title, draft.likelihood) == ("Alice's title", 2)
        assert list(draft.mitigations.values_list("description", flat=True)) == mitigations
    else:
        assert (draft.title, draft.likelihood) == ("Bob's title", 3)
        assert list(draft.mitigations.values_list("description", flat=True)) == [
            "Bob's only mitigation"
        ]
    assert draft.version == 2


def test_an_edit_loaded_before_the_acceptance_was_submitted_is_refused(architect, draft):
    loaded = RiskAcceptance.objects.get(pk=draft.pk)
    services.acceptance_submit(actor=architect, acceptance=draft)
    with pytest.raises(ConflictError):
        services.acceptance_update(
            actor=architect, acceptance=loaded, expected_version=loaded.version, title="Late"
        )
    draft.refresh_from_db()
    assert draft.state == "awaiting" and draft.title != "Late"


def test_an_edit_that_changes_nothing_keeps_the_version(architect, draft):
    services.acceptance_update(
        actor=architect, acceptance=draft, expected_version=1, title=draft.title
    )
    draft.refresh_from_db()
    assert draft.version == 1


def test_the_edit_page_refuses_a_stale_save_shows_the_change_and_keeps_the_input(
    login, architect, stakeholder, draft
):
    from tests.adr.conftest import form_values

    client = login(architect)
    url = f"/risks/{draft.pk}/edit/"
    form = form_values(client.get(url).content.decode())
    services.acceptance_update(
        actor=stakeholder, acceptance=draft, likelihood=5, reason="worse than we thought"
    )
    response = client.post(url, {**form, "title": "My typed title"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed this" in page
    assert "worse than we thought" in page and "Likelihood" in page
    assert 'value="My typed title"' in page
    assert form_values(page)["likelihood"] == "5"  # left alone: the newer value
    draft.refresh_from_db()
    assert (draft.title, draft.likelihood) == (
        "JS-readable auth tokens in non-HttpOnly cookies",
        5,
    )

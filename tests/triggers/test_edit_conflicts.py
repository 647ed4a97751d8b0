"""No lost updates on triggers and initiatives (PostgreSQL, one connection per editor);
what a sweep writes (state, the "needs review" flag) survives an edit loaded before it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from config.concurrency import ConflictError
from tests.adr.test_lost_updates import one_wins
from tests.conftest import require_postgres
from tests.support.race import queued_on_row_lock
from triggers import services
from triggers.models import Trigger, start_of_day
from triggers.sweep import sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def trigger_editor(actor, pk: int, name: str, **typed):
    def load():
        loaded = Trigger.objects.get(pk=pk)

        def save():
            return services.trigger_update(
                actor=actor,
                trigger=loaded,
                name=name,
                description=loaded.description,
                expected_version=loaded.version,
                **typed,
            )

        return save

    return load


def test_two_concurrent_edits_of_a_trigger_the_second_is_refused(architect, stakeholder):
    require_postgres()
    trigger = services.trigger_create(
        actor=architect, name="Sunset", kind="date", params={"date": "2031-03-31"}
    )
    outcomes = queued_on_row_lock(
        Trigger,
        trigger.pk,
        trigger_editor(architect, trigger.pk, "Alice's sunset", params={"date": "2031-04-30"}),
        trigger_editor(architect, trigger.pk, "Bob's sunset", watchers=[stakeholder]),
    )
    winner = one_wins(outcomes)
    trigger.refresh_from_db()
    if winner == 0:
        assert trigger.name == "Alice's sunset" and trigger.params["date"] == "2031-04-30"
        assert not trigger.watchers.exists()
    else:
        assert trigger.name == "Bob's sunset" and trigger.params["date"] == "2031-03-31"
        assert list(trigger.watchers.all()) == [stakeholder]
    assert trigger.version == 2


def test_an_edit_loaded_before_the_sweep_fired_keeps_what_the_sweep_wrote(
    architect, deferred_decision
):
    trigger = services.trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": "2031-03-31"},
        decisions=[deferred_decision],
    )
    loaded = Trigger.objects.get(pk=trigger.pk)
    with time_machine.travel(start_of_day(trigger.fire_day) + timedelta(minutes=1), tick=False):
        assert sweep().fired == 1
    services.trigger_update(
        actor=architect,
        trigger=loaded,
        name="Legacy sunset",
        description="Renamed after it fired.",
        expected_version=loaded.version,
    )
    trigger.refresh_from_db()
    deferred_decision.refresh_from_db()
    assert (trigger.name, trigger.state) == ("Legacy sunset", "fired")
    assert trigger.fired_at is not None
    assert deferred_decision.needs_review


def test_an_initiative_status_set_from_a_stale_page_is_refused(architect, staff):
    rbac = services.initiative_create(actor=architect, name="RBAC rollout")
    loaded_version = rbac.version
    services.initiative_set_status(actor=staff, initiative=rbac, status="cancelled")
    with pytest.raises(ConflictError):
        services.initiative_set_status(
            actor=architect, initiative=rbac, status="in_progress", expected_version=loaded_version
        )
    rbac.refresh_from_db()
    assert (rbac.status, rbac.version) == ("cancelled", 2)


def test_the_trigger_edit_page_refuses_a_stale_save_and_keeps_the_input(login, architect):
    from tests.adr.conftest import form_values

    trigger = services.trigger_create(
        actor=architect, name="Sunset", kind="date", params={"date": "2031-03-31"}
    )
    client = login(architect)
    url = f"/triggers/{trigger.pk}/edit/"
    # What a browser posts (an empty multiple select sends nothing).
    form = {k: v for k, v in form_values(client.get(url).content.decode()).items() if v}
    services.trigger_update(
        actor=architect, trigger=trigger, name="Legacy sunset", params={"date": "2031-06-30"}
    )
    response = client.post(url, {**form, "description": "My typed note."})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed this" in page
    assert "Legacy sunset" in page and "2031-06-30" in page
    assert "My typed note." in page
    again = form_values(page)  # fields left alone show the newer values
    assert (again["name"], again["date"], again["description"]) == (
        "Legacy sunset",
        "2031-06-30",
        "My typed note.",
    )
    trigger.refresh_from_db()
    assert (trigger.name, trigger.description) == ("Legacy sunset", "")


def test_the_initiative_page_refuses_a_status_from_a_stale_page(login, architect, staff):
    rbac = services.initiative_create(actor=architect, name="RBAC rollout")
    client = login(architect)
    page = client.get(f"/triggers/initiatives/{rbac.pk}/").content.decode()
    assert f'name="version" value="{rbac.version}"' in page
    services.initiative_set_status(actor=staff, initiative=rbac, status="cancelled")
    response = client.post(
        f"/triggers/initiatives/{rbac.pk}/status/", {"status": "done", "version": "1"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed this" in page and "Cancelled" in page
    rbac.refresh_from_db()
    assert rbac.status == "cancelled" and not rbac.done_at

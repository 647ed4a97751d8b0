"""config.bulk: rows of history-tracked models written in bulk with their history rows,
in one statement (update) or two (create) on PostgreSQL; simple-history's helpers on
SQLite. The history rows are those simple-history would write."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config import bulk
from config.history import stamp, tracked_save
from tests.conftest import is_postgres
from triggers.models import Evaluation, Trigger

pytestmark = pytest.mark.django_db


def _triggers(n: int, actor) -> list[Trigger]:
    made = []
    for i in range(n):
        trigger = Trigger(
            name=f"Sunset {i}",
            kind=Trigger.Kind.DATE,
            params={"date": date(2031, 1, 1 + i).isoformat(), "lead_days": []},
        )
        tracked_save(trigger, actor=actor, reason="created")
        made.append(trigger)
    return made


def test_it_updates_the_named_fields_and_writes_one_change_row_each(architect, stakeholder):
    triggers = _triggers(3, architect)
    now = timezone.now()
    for i, trigger in enumerate(triggers):
        trigger.state = Trigger.State.FIRED
        trigger.state_reason = f"reason {i}"
        trigger.fired_at = now
        trigger.warnings_sent = [30, 7] if i else []
        trigger.next_check_at = None if i == 2 else now + timedelta(days=3)
        trigger.name = "renamed in memory only"  # not among the fields written
        stamp(trigger, actor=stakeholder if i == 0 else None, reason=f"fired {i}")
    fields = ["state", "state_reason", "fired_at", "warnings_sent", "next_check_at"]

    with CaptureQueriesContext(connection) as queries:
        updated = bulk.update_with_history(triggers, Trigger, fields, default_user=architect)

    assert updated == 3
    if is_postgres():
        assert len(queries.captured_queries) == 1
    for i, trigger in enumerate(triggers):
        row = Trigger.objects.get(pk=trigger.pk)
        assert (row.state, row.state_reason, row.fired_at) == ("fired", f"reason {i}", now)
        assert row.warnings_sent == ([30, 7] if i else [])
        assert row.next_check_at == (None if i == 2 else now + timedelta(days=3))
        assert row.name == f"Sunset {i}"
        record = trigger.history.latest()
        assert record.history_type == "~"
        assert record.history_change_reason == f"fired {i}"
        assert record.history_user_id == (stakeholder.pk if i == 0 else architect.pk)
        assert (record.state, record.state_reason) == ("fired", f"reason {i}")
        if is_postgres():
            # The history row holds what the database holds, not what memory held (on
            # SQLite, simple-history's helper copies memory: the name there is wrong).
            assert record.name == f"Sunset {i}"
        assert record.warnings_sent == row.warnings_sent
        assert record.next_check_at == row.next_check_at
        assert trigger.history.count() == 2


def test_it_creates_rows_and_one_creation_row_each(architect):
    (trigger,) = _triggers(1, architect)
    now = timezone.now()
    evaluations = [
        stamp(
            Evaluation(trigger=trigger, at=now, outcome=outcome, observed=str(i)),
            reason=f"evaluated: {outcome}",
        )
        for i, outcome in enumerate([Evaluation.Outcome.FIRED, Evaluation.Outcome.ERROR])
    ]

    with CaptureQueriesContext(connection) as queries:
        created = bulk.create_with_history(evaluations, Evaluation, default_user=architect)

    if is_postgres():
        assert len(queries.captured_queries) == 2
    assert [e.pk for e in created] == [e.pk for e in evaluations]
    assert all(e.pk for e in created)
    for evaluation in created:
        record = Evaluation.history.get(id=evaluation.pk)
        assert record.history_type == "+"
        assert record.history_change_reason == f"evaluated: {evaluation.outcome}"
        assert record.history_user_id == architect.pk
        assert (record.trigger_id, record.outcome, record.observed, record.at) == (
            trigger.pk,
            evaluation.outcome,
            evaluation.observed,
            now,
        )


def test_nothing_to_write_sends_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update_with_history([], Trigger, ["state"]) == 0
        assert bulk.create_with_history([], Evaluation) == []
    assert queries.captured_queries == []

"""History rows of models with many-to-many fields (config.history.LedgerHistoricalRecords):
the same rows as simple-history writes, for one query per many-to-many field."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adr.services import decision_create
from config.history import tracked_save
from triggers.models import Trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def trigger(architect):
    trigger = Trigger(
        name="Legacy frontends sunset",
        kind=Trigger.Kind.DATE,
        params={"date": date(2031, 1, 1).isoformat(), "lead_days": []},
    )
    tracked_save(trigger, actor=architect, reason="created")
    return trigger


def test_it_records_a_triggers_decisions_and_watchers_on_its_history_row(
    log, architect, stakeholder, trigger
):
    first = decision_create(actor=architect, log=log, title="Keep tokens in cookies")
    second = decision_create(actor=architect, log=log, title="Split the auth service")

    trigger.watchers.add(stakeholder)
    trigger.decisions.add(first, second)

    record = trigger.history.latest()
    assert record.history_type == "~"
    assert sorted(record.decisions.values_list("decision_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert list(record.watchers.values_list("user_id", flat=True)) == [stakeholder.pk]
    assert {row.trigger_id for row in record.decisions.all()} == {trigger.pk}
    # The previous row (after the watcher was added) holds the watcher and no decision.
    before = trigger.history.order_by("-history_id")[1]
    assert before.decisions.count() == 0
    assert before.watchers.count() == 1


def test_it_records_a_decisions_tags_on_its_history_row(log, architect):
    decision = decision_create(actor=architect, log=log, title="Use Kafka", tags=["events"])

    record = decision.history.latest()
    assert [row.tag.name for row in record.tags.all()] == ["events"]


def test_the_many_to_many_history_takes_one_query_per_field_and_rereads_nothing(
    log, architect, trigger
):
    decision = decision_create(actor=architect, log=log, title="Keep tokens in cookies")

    with CaptureQueriesContext(connection) as queries:
        trigger.decisions.add(decision)

    sql = [q["sql"] for q in queries.captured_queries]
    # simple-history alone re-reads the trigger's excluded columns once per m2m field
    # and joins the decision's every column into the through rows; we read neither.
    assert not [s for s in sql if "webhook_secret" in s and s.startswith("SELECT")]
    assert not [s for s in sql if '"adr_decision"."context"' in s]
    through_reads = [s for s in sql if s.startswith("SELECT") and "historical" not in s]
    # Django's "already linked?" check, then one read per m2m field (decisions, watchers).
    assert len(through_reads) == 3, sql
    assert trigger.history.latest().decisions.get().decision_id == decision.pk

"""config.readers: who may be told about what, as the outbox uses it (the private-log
cases, event by event, are tests/permissions/test_private_emails.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adr.services import decision_create, log_create
from config import readers
from config.accounts.teams import membership_set, team_create
from config.notifications.models import Notification
from config.notifications.services import Email, notification_enqueue_many
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def private(staff):
    team = team_create(actor=staff, name="Payments")
    log = log_create(actor=staff, key="PAY", name="Payments", team=team, private=True)
    return team, log


def _emails(people, decisions, tag):
    return [
        Email(
            person.email,
            "review.requested",
            f"{tag}:{decision.pk}:{person.pk}",
            "review-requested",
            {"decision": decision, "by": None, "url": "/"},
            user=person,
            about=decision,
        )
        for decision in decisions
        for person in people
    ]


def test_the_filter_costs_the_same_queries_for_many_people_and_documents(
    django_user_model, staff, private
):
    team, log = private
    people = [make_user(django_user_model, f"p{i}", "stakeholder") for i in range(12)]
    for person in people[::2]:
        membership_set(actor=staff, team=team, user=person, role="stakeholder")
    decisions = [decision_create(actor=staff, log=log, title=f"D{i}") for i in range(6)]
    with CaptureQueriesContext(connection) as few:
        notification_enqueue_many(_emails(people[:2], decisions[:1], "few"))
    with CaptureQueriesContext(connection) as many:
        created = notification_enqueue_many(_emails(people, decisions, "many"))
    assert len(many.captured_queries) == len(few.captured_queries)
    # Only the members (every other person) were told, about each decision.
    assert {n.user for n in created} == set(people[::2])
    assert len(created) == 6 * 6


def test_following_reads_as_its_parent_and_the_latest_registration_wins(
    django_user_model, staff, private
):
    _team, log = private
    outsider = make_user(django_user_model, "orla", "architect")
    decision = decision_create(actor=staff, log=log, title="Secret")
    assert readers.readers_of(users=[staff, outsider], about=decision) == {staff.pk}
    before = len(readers.READERS)
    readers.register(type(decision), readers.Following(lambda d: d.log))
    assert len(readers.READERS) == before  # replaced, not added
    assert readers.readers_of(users=[staff, outsider], about=decision) == {staff.pk}
    assert not Notification.objects.exists()

"""The sweep's promises: exactly once under races, nothing on rollback, DST, reminders."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.notifications import services as outbox
from config.notifications.models import Notification
from tests.conftest import require_postgres
from tests.support.race import wait_for_lock_waiters
from triggers.models import Evaluation, FiredEvent, Trigger, start_of_day
from triggers.services import trigger_acknowledge, trigger_create
from triggers.sweep import sweep


def _date_triggers(architect, watchers, n: int, day=None) -> list[Trigger]:
    day = day or timezone.localdate() - timedelta(days=1)
    return [
        trigger_create(
            actor=architect,
            name=f"Sunset {i}",
            kind="date",
            params={"date": day.isoformat(), "lead_days": []},
            watchers=watchers,
        )
        for i in range(n)
    ]


def deliver_due(now=None) -> list[str]:
    """What a worker would do: send every row that is due now (the broker is not needed)."""
    now = now or timezone.now()
    results = []
    for pk in Notification.objects.filter(
        state__in=["pending", "retry"], next_attempt_at__lte=now
    ).values_list("pk", flat=True):
        results.append(outbox.notification_send(notification_id=pk))
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_two_sweeps_at_the_same_moment_fire_each_trigger_once_and_write_each_email_once(
    roles, architect, stakeholder, stakeholder2, deferred_decision
):
    """Both sweeps hold a claimed batch at once: the test holds the decision every trigger
    flags, and lets go only when PostgreSQL shows both sweeps waiting for it."""
    require_postgres()
    from adr.models import Decision

    triggers = _date_triggers(architect, [stakeholder, stakeholder2], 30)
    for trigger in triggers:
        trigger.decisions.set([deferred_decision])
    now = timezone.now()
    results, errors = [], []

    def run():
        try:
            results.append(sweep(now=now, batch_size=5))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with transaction.atomic():
        Decision.objects.select_for_update().get(pk=deferred_decision.pk)
        for t in threads:
            t.start()
        wait_for_lock_waiters(2)  # each sweep has claimed a batch and waits to flag
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 2 and all(r.fired > 0 for r in results)  # the race happened
    assert sum(r.fired for r in results) == 30
    assert FiredEvent.objects.count() == 30
    assert Evaluation.objects.filter(outcome="fired").count() == 30
    assert Notification.objects.filter(event="trigger.fired").count() == 60
    keys = list(Notification.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    assert set(
        Trigger.objects.filter(pk__in=[t.pk for t in triggers]).values_list("state", flat=True)
    ) == {"fired"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_a_second_sweep_blocked_behind_a_claimed_batch_skips_it_and_the_first_fires_it(
    roles, architect, stakeholder
):
    require_postgres()
    (trigger,) = _date_triggers(architect, [stakeholder], 1)
    claimed = threading.Event()
    release = threading.Event()

    def hold_lock():
        with transaction.atomic():
            Trigger.objects.select_for_update().get(pk=trigger.pk)
            claimed.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert claimed.wait(10)
    result = sweep()  # SKIP LOCKED: does not wait for, and does not touch, the locked row
    release.set()
    holder.join(10)
    assert result.fired == 0
    assert sweep().fired == 1
    assert FiredEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_rolled_back_sweep_leaves_no_fired_event_and_no_outbox_row(
    architect, stakeholder, django_capture_on_commit_callbacks
):
    _date_triggers(architect, [stakeholder], 2)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert sweep().fired == 2
        assert Notification.objects.count() == 2
        raise RuntimeError("the database went away before commit")
    assert not Notification.objects.exists()
    assert not FiredEvent.objects.exists()
    assert set(Trigger.objects.values_list("state", flat=True)) == {"armed"}
    assert callbacks == []  # nothing was handed to the broker
    assert sweep().fired == 2


@pytest.mark.django_db
def test_an_smtp_server_that_refuses_then_accepts_gets_every_email_once(
    architect, stakeholder, stakeholder2, settings
):
    from tests.support.smtp import SmtpSink

    _date_triggers(architect, [stakeholder, stakeholder2], 1)
    with SmtpSink(refuse_first=1) as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        sweep()
        assert sorted(deliver_due()) == ["retry", "sent"]
        later = timezone.now() + timedelta(minutes=5)
        with time_machine.travel(later, tick=False):
            sweep()
            assert deliver_due() == ["sent"]
            sweep()
            assert deliver_due() == []
        assert sink.refused == 1
        assert sorted(sink.recipients()) == [stakeholder.email, stakeholder2.email]
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_a_sender_killed_between_claim_and_send_leaves_an_uncertain_row_and_no_second_email(
    architect, stakeholder
):
    _date_triggers(architect, [stakeholder], 1)
    sweep()
    row = Notification.objects.get()
    assert outbox._claim(row.pk).state == "sending"  # …and the worker dies here
    later = timezone.now() + outbox.UNCERTAIN_AFTER + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        sweep()
        sweep()
        assert deliver_due() == []
        assert outbox.notification_send(notification_id=row.pk) == "skipped"
    row.refresh_from_db()
    assert row.state == "uncertain"
    assert mail.outbox == []
    assert Notification.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "instant"),
    [
        # Europe/Berlin: spring forward (CET → CEST) and fall back (CEST → CET).
        ("2027-03-28", datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),
        ("2027-10-31", datetime(2027, 10, 30, 22, 0, tzinfo=UTC)),
    ],
)
def test_date_triggers_on_daylight_saving_days_fire_once_at_local_midnight(
    architect, stakeholder, settings, day, instant
):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(datetime(2027, 1, 1, tzinfo=UTC), tick=False):
        trigger = trigger_create(
            actor=architect,
            name="Sunset",
            kind="date",
            params={"date": day, "lead_days": []},
            watchers=[stakeholder],
        )
    assert trigger.next_check_at == instant
    with time_machine.travel(instant - timedelta(seconds=1), tick=False):
        assert sweep().fired == 0
    with time_machine.travel(instant, tick=False):
        assert sweep().fired == 1
        assert sweep().fired == 0
    with time_machine.travel(instant + timedelta(hours=3), tick=False):
        assert sweep().fired == 0
    event = FiredEvent.objects.get()
    assert event.fired_at == instant
    assert Notification.objects.filter(event="trigger.fired").count() == 1


@pytest.mark.django_db
def test_warnings_on_a_daylight_saving_day_go_out_at_local_midnight(architect, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(datetime(2027, 1, 1, tzinfo=UTC), tick=False):
        trigger = trigger_create(
            actor=architect,
            name="Sunset",
            kind="date",
            params={"date": "2027-04-04", "lead_days": [7]},
            watchers=[architect],
        )
    assert trigger.next_check_at == start_of_day(datetime(2027, 3, 28).date())
    assert trigger.next_check_at == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_unacknowledged_triggers_are_reminded_on_a_cadence_each_once_then_escalated(
    architect, stakeholder, auditor, settings
):
    settings.LEDGER_REMINDER_EVERY_DAYS = 3
    settings.LEDGER_REMINDERS_BEFORE_ESCALATION = 2
    (trigger,) = _date_triggers(architect, [stakeholder], 1)
    trigger.escalation_contact = auditor
    trigger.save()
    start = timezone.now()
    sweep(now=start)
    trigger.refresh_from_db()
    fired_at = trigger.fired_at

    def reminders():
        return sorted(
            Notification.objects.filter(event="trigger.reminder").values_list(
                "recipient", "subject"
            )
        )

    sweep(now=fired_at + timedelta(days=2, hours=23))
    assert reminders() == []
    sweep(now=fired_at + timedelta(days=3))
    sweep(now=fired_at + timedelta(days=3, hours=1))
    assert [r[0] for r in reminders()] == [stakeholder.email]
    sweep(now=fired_at + timedelta(days=6))
    sweep(now=fired_at + timedelta(days=6, minutes=5))
    second = reminders()
    assert len(second) == 3
    assert (
        auditor.email,
        f'Escalated: trigger "{trigger.name}" fired and is not acknowledged',
    ) in second
    trigger_acknowledge(actor=architect, trigger=trigger)
    sweep(now=fired_at + timedelta(days=30))
    assert len(reminders()) == 3


@pytest.mark.django_db
def test_the_sweep_query_count_does_not_grow_with_the_number_of_due_triggers(
    architect, stakeholder, deferred_decision
):
    def measure(n: int) -> int:
        # A clean slate for this measurement: the audit rows are PROTECT from their trigger,
        # so this scaffolding removes them first (the app never does).
        Evaluation.objects.all().delete()
        FiredEvent.objects.all().delete()
        Trigger.objects.all().delete()
        Notification.objects.all().delete()
        type(deferred_decision).objects.update(needs_review=False, needs_review_reason="")
        for t in _date_triggers(architect, [stakeholder], n):
            t.decisions.add(deferred_decision)
        with CaptureQueriesContext(connection) as ctx:
            assert sweep(batch_size=100).fired == n
        return len(ctx.captured_queries)

    # (PostgreSQL: SQLite splits bulk writes by its 999-variable limit, so counts differ there.)
    require_postgres()
    # One batch: the same queries for 4 or 40 (plus one call per distinct decision affected).
    assert measure(4) == measure(40)
    # Two batches cost one batch's worth more, not 40 triggers' worth.
    assert measure(150) <= 2 * measure(40)


# The queries one batch of the sweep may cost, whatever its size: claim, prefetches,
# bulk writes of evaluations/fired events/triggers/outbox rows and their history, the
# chain of fired events, one decision flagged. A change that queries per trigger or per
# email breaks it at once (a batch here is 10 triggers and 20 emails).
QUERIES_PER_BATCH = 40


@pytest.mark.django_db
def test_each_batch_of_the_sweep_costs_the_same_bounded_number_of_queries(
    architect, stakeholder, stakeholder2, deferred_decision
):
    require_postgres()

    def measure(batches: int) -> int:
        Evaluation.objects.all().delete()  # scaffolding: the app never deletes these
        FiredEvent.objects.all().delete()
        Trigger.objects.all().delete()
        Notification.objects.all().delete()
        type(deferred_decision).objects.update(needs_review=False, needs_review_reason="")
        for t in _date_triggers(architect, [stakeholder, stakeholder2], 10 * batches):
            t.decisions.add(deferred_decision)
        with CaptureQueriesContext(connection) as ctx:
            result = sweep(batch_size=10)
        assert result.fired == 10 * batches and result.batches == batches
        assert Notification.objects.count() == 20 * batches
        return len(ctx.captured_queries)

    one, two, three = measure(1), measure(2), measure(3)
    per_batch = two - one
    assert three - two == per_batch  # every batch costs the same
    assert 0 < per_batch <= QUERIES_PER_BATCH, per_batch


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("roles")
def test_editing_an_acceptance_while_a_sweep_holds_its_expiry_trigger_never_deadlocks(
    architect, stakeholder, stakeholder2
):
    require_postgres()
    from risks import services as risk_services

    today = timezone.localdate()
    acceptance = risk_services.acceptance_create(
        actor=architect,
        title="Tokens",
        risk_statement="XSS reads tokens.",
        owner=stakeholder,
        expires_on=today + timedelta(days=60),
    )
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    from risks.models import RiskAcceptance

    locked, errors = threading.Event(), []

    def sweep_like_holder():
        # Like a sweep: the trigger first, then the acceptance, which the edit below
        # holds while its hook wants the trigger: the classic deadlock shape.
        try:
            with transaction.atomic():
                Trigger.objects.select_for_update().get(pk=expiry.pk)
                locked.set()
                RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def edit():
        try:
            risk_services.acceptance_update(
                actor=architect, acceptance=acceptance, expires_on=today + timedelta(days=90)
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    holder, editor = threading.Thread(target=sweep_like_holder), threading.Thread(target=edit)
    # The test holds the acceptance: the edit queues for it first, then the holder (which
    # has the trigger); released, the edit gets the acceptance and wants the trigger
    # while the holder waits for the acceptance: with a blocking wait, a deadlock.
    with transaction.atomic():
        RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)
        editor.start()
        wait_for_lock_waiters(1)
        holder.start()
        assert locked.wait(10)
        wait_for_lock_waiters(2)
    editor.join(30)
    holder.join(30)
    assert not errors, errors
    expiry.refresh_from_db()
    assert expiry.fire_day == today + timedelta(days=90)

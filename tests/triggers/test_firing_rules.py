"""The firing rules at their boundary instants: when a trigger warns, fires, is reminded,
and when it must not (a draft or closed acceptance, a mitigation not overdue).

Fast (no transactional database, no network): these tests guard the mutation run's
"trigger firing" targets (tests/mutations/targets.py).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from config.dates import format_date
from config.notifications.models import Notification
from tests.conftest import PASSWORD
from tests.triggers.conftest import make_acceptance
from triggers.models import Evaluation, FiredEvent, Trigger, start_of_day
from triggers.services import trigger_acknowledge, trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def _day(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def _emails(event: str) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(event=event).order_by("id")
    return list(rows.values_list("subject", "body_text"))


def _date_trigger(architect, watcher, day: date, **params) -> Trigger:
    return trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": day.isoformat(), **params},
        watchers=[watcher],
    )


def _state(trigger: Trigger) -> tuple:
    trigger.refresh_from_db()
    return trigger.state, trigger.warnings_sent, trigger.next_check_at


def test_lead_days_are_positive_distinct_and_latest_first(settings):
    settings.LEDGER_DEFAULT_LEAD_DAYS = [30, 7, 1]
    day = "2030-01-31"
    assert Trigger(params={"date": day, "lead_days": [0, 7, "3", 7, -1]}).lead_days == [7, 3]
    assert Trigger(params={"date": day, "lead_days": []}).lead_days == []
    assert Trigger(params={"date": day}).lead_days == [30, 7, 1]
    trigger = Trigger(params={"date": day, "lead_days": [7]})
    assert trigger.fire_day == date(2030, 1, 31)
    assert trigger.warning_instants() == [(7, start_of_day(date(2030, 1, 24)))]
    assert Trigger(params={"lead_days": [7]}).warning_instants() == []
    assert Trigger(params={"date": "31/01/2030"}).fire_day is None


def test_a_date_trigger_warns_n_days_before_at_each_lead_day_then_fires_exactly_once(
    architect, stakeholder, settings
):
    settings.LEDGER_REMINDER_EVERY_DAYS = 3
    day = _day(60)
    week_before, day_before, fire_at = (start_of_day(day - timedelta(days=d)) for d in (7, 1, 0))
    trigger = _date_trigger(architect, stakeholder, day, lead_days=[1, 7])
    assert _state(trigger) == ("armed", [], week_before)

    assert (sweep(now=week_before).warned, sweep(now=week_before).warned) == (1, 0)
    assert _state(trigger) == ("warned", [7], day_before)
    assert (sweep(now=day_before).warned, sweep(now=day_before).warned) == (1, 0)
    assert _state(trigger) == ("warned", [7, 1], fire_at)
    (week, week_body), (one, _) = _emails("trigger.warning")
    assert (week, one) == ("7 days left: Sunset", "1 day left: Sunset")
    assert f"fires on {format_date(day)} — 7 days from now." in week_body

    result = sweep(now=fire_at)
    assert (result.checked, result.fired, result.warned) == (1, 1, 0)
    assert sweep(now=fire_at).checked == 0
    trigger.refresh_from_db()
    assert (trigger.state, trigger.fired_at, trigger.reminders_sent) == ("fired", fire_at, 0)
    assert trigger.next_check_at == fire_at + timedelta(days=3)  # the first reminder
    assert FiredEvent.objects.get(trigger=trigger).reason == f"The date {day} has arrived."
    outcomes = Evaluation.objects.filter(trigger=trigger).order_by("id")
    assert list(outcomes.values_list("outcome", flat=True)) == ["warned", "warned", "fired"]


def test_after_downtime_only_the_nearest_warning_goes_out_and_the_next_one_still_does(
    architect, stakeholder
):
    day = _day(60)
    trigger = _date_trigger(architect, stakeholder, day, lead_days=[30, 7, 1])
    five_before = start_of_day(day - timedelta(days=5))
    assert sweep(now=five_before).warned == 1
    assert _state(trigger) == ("warned", [30, 7], start_of_day(day - timedelta(days=1)))
    assert sweep(now=start_of_day(day - timedelta(days=1))).warned == 1
    assert [subject for subject, _ in _emails("trigger.warning")] == [
        "5 days left: Sunset",
        "1 day left: Sunset",
    ]


def test_a_fired_trigger_is_reminded_once_per_period_and_not_when_looked_at_early(
    architect, stakeholder, auditor, settings
):
    settings.LEDGER_REMINDER_EVERY_DAYS = 3
    settings.LEDGER_REMINDERS_BEFORE_ESCALATION = 2
    day = _day(10)
    trigger = _date_trigger(architect, stakeholder, day, lead_days=[])
    trigger.escalation_contact = auditor
    trigger.save()
    fire_at = start_of_day(day)
    assert sweep(now=fire_at).fired == 1
    # Looked at before a reminder is due (e.g. the row was rescheduled by hand): nothing.
    Trigger.objects.filter(pk=trigger.pk).update(next_check_at=fire_at + timedelta(hours=1))
    assert sweep(now=fire_at + timedelta(hours=1)).reminded == 0
    trigger.refresh_from_db()
    assert trigger.next_check_at == fire_at + timedelta(days=3)

    assert sweep(now=fire_at + timedelta(days=3)).reminded == 1
    assert sweep(now=fire_at + timedelta(days=3)).reminded == 0
    trigger.refresh_from_db()
    assert (trigger.reminders_sent, trigger.next_check_at) == (1, fire_at + timedelta(days=6))
    ((subject, body),) = _emails("trigger.reminder")
    assert subject == 'Reminder: trigger "Sunset" fired and is not acknowledged'
    assert "(reminder 1)" in body
    assert f"Why: The date {day} has arrived." in body

    assert sweep(now=fire_at + timedelta(days=6)).reminded == 1
    escalated = [(s, b) for s, b in _emails("trigger.reminder") if s.startswith("Escalated: ")]
    assert len(escalated) == 2  # the watcher and the escalation contact
    assert "unacknowledged for 2 reminders" in escalated[0][1]
    trigger_acknowledge(actor=architect, trigger=trigger)
    assert _state(trigger) == ("acknowledged", [], None)  # no more reminders


@pytest.fixture
def signers(stakeholder, stakeholder2, stakeholder3):
    return [stakeholder, stakeholder2, stakeholder3]


def _acceptance(architect, signers, *, sign: bool, expires_in: int = 100):
    acceptance, _ = make_acceptance(
        architect=architect,
        owner=signers[0],
        signers=signers,
        decisions=[],
        expires_on=_day(expires_in),
        sign=sign,
    )
    return acceptance


def test_the_expiry_of_a_draft_is_looked_at_again_the_next_day_instead_of_firing(
    architect, signers
):
    acceptance = _acceptance(architect, signers, sign=False)
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    sweep(now=start_of_day(_day(100)))
    assert not FiredEvent.objects.filter(trigger=expiry).exists()
    assert _state(expiry) == ("armed", [], start_of_day(_day(101)))
    evaluation = Evaluation.objects.filter(trigger=expiry).latest("id")
    assert (evaluation.outcome, evaluation.observed) == ("not_met", "acceptance draft")


def test_the_expiry_of_a_signed_acceptance_fires_and_expires_it(architect, signers):
    acceptance = _acceptance(architect, signers, sign=True)
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    sweep(now=start_of_day(_day(100)))  # the sunset (day 70) fires too
    acceptance.refresh_from_db()
    assert acceptance.state == "expired"
    event = FiredEvent.objects.get(trigger=expiry)
    assert event.reason == f"The risk acceptance expired on {_day(100)}."
    assert event.details["effect"] == "acceptance expired"


@pytest.mark.parametrize("closed", ["revoked", "remediated"])
def test_a_closed_acceptance_disarms_its_expiry_trigger(architect, signers, closed):
    from risks import services as risk_services

    acceptance = _acceptance(architect, signers, sign=True)
    if closed == "revoked":
        risk_services.acceptance_revoke(actor=architect, acceptance=acceptance, reason="Fixed.")
    else:
        risk_services.acceptance_mark_remediated(actor=architect, acceptance=acceptance)
    sweep(now=start_of_day(_day(100)))
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    expiry.refresh_from_db()
    assert (expiry.state, expiry.next_check_at) == ("disarmed", None)
    assert expiry.state_reason == f"disarmed: the acceptance is {closed}"
    assert not FiredEvent.objects.filter(trigger=expiry).exists()
    # A plain date trigger of the acceptance still fires (decisions may rest on it).
    assert Trigger.objects.get(risk_acceptance=acceptance, kind="date").state == "fired"


def _sign(acceptance, architect, signers) -> None:
    from risks import services as risk_services

    risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
    for user in signers:
        risk_services.acceptance_sign(
            actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
        )


def _overdue(
    architect, acceptance, *, status: str = "planned", description: str = "Short-lived tokens"
) -> Trigger:
    """A mitigation due on day 10 added to the draft `acceptance` (an edit would void
    signatures)."""
    from risks import services as risk_services

    mitigation = risk_services.mitigation_save(
        actor=architect,
        acceptance=acceptance,
        description=description,
        due_on=_day(10),
    )
    overdue = Trigger.objects.get(risk_acceptance=acceptance, kind="mitigation_overdue")
    if status != "planned":
        risk_services.mitigation_save(
            actor=architect,
            acceptance=acceptance,
            mitigation=mitigation,
            description=mitigation.description,
            status=status,
            due_on=mitigation.due_on,
        )
    return overdue


def test_a_mitigation_trigger_fires_the_day_after_the_due_date_never_on_it(architect, signers):
    acceptance = _acceptance(architect, signers, sign=False)
    overdue = _overdue(architect, acceptance, description="m" * 119 + "XY")
    _sign(acceptance, architect, signers)
    assert overdue.next_check_at == start_of_day(_day(11))
    # Looked at early (on the due day itself): not overdue yet.
    Trigger.objects.filter(pk=overdue.pk).update(next_check_at=start_of_day(_day(10)))
    assert sweep(now=start_of_day(_day(10)) + timedelta(hours=23)).fired == 0
    assert _state(overdue) == ("armed", [], start_of_day(_day(11)))
    assert sweep(now=start_of_day(_day(11))).fired == 1
    assert _state(overdue)[0] == "fired"
    assert FiredEvent.objects.get(trigger=overdue).reason == (  # 120 characters of it
        f"The mitigation “{'m' * 119}X” is still planned after its due date {_day(10)}."
    )


def test_a_mitigation_in_place_by_its_due_date_does_not_fire(architect, signers):
    acceptance = _acceptance(architect, signers, sign=False)
    overdue = _overdue(architect, acceptance, status="in_place")
    _sign(acceptance, architect, signers)
    Trigger.objects.filter(pk=overdue.pk).update(next_check_at=start_of_day(_day(11)))
    assert sweep(now=start_of_day(_day(11))).fired == 0
    assert _state(overdue) == ("armed", [], None)  # nothing left to look at


def test_an_overdue_mitigation_of_an_acceptance_not_yet_accepted_waits_a_day(architect, signers):
    acceptance = _acceptance(architect, signers, sign=False)
    overdue = _overdue(architect, acceptance)
    assert sweep(now=start_of_day(_day(11))).fired == 0
    assert _state(overdue) == ("armed", [], start_of_day(_day(12)))


def test_an_overdue_mitigation_of_an_expired_acceptance_is_disarmed(architect, signers):
    from risks import services as risk_services

    acceptance = _acceptance(architect, signers, sign=False)
    overdue = _overdue(architect, acceptance)
    _sign(acceptance, architect, signers)
    risk_services.acceptance_expire(acceptance=acceptance)
    assert sweep(now=start_of_day(_day(11))).fired == 0
    assert _state(overdue)[0] == "disarmed"


def test_a_trigger_made_for_an_initiative_already_done_fires_on_the_next_sweep(
    architect, stakeholder
):
    from triggers.services import initiative_create, initiative_set_status

    done = initiative_create(actor=architect, name="RBAC rollout")
    initiative_set_status(actor=architect, initiative=done, status="done")
    open_ = initiative_create(actor=architect, name="SSO rollout")
    made = [
        trigger_create(
            actor=architect,
            name=f"{i.name} is done",
            kind="initiative",
            initiative=i,
            watchers=[stakeholder],
        )  # fmt: skip
        for i in (done, open_)
    ]
    now = timezone.now()
    assert [t.next_check_at is not None for t in made] == [True, False]
    # Looked at anyway (e.g. rescheduled by hand), the open one does not fire.
    Trigger.objects.filter(pk=made[1].pk).update(next_check_at=now)
    assert sweep(now=now).fired == 1
    assert [_state(t)[0] for t in made] == ["fired", "armed"]
    assert FiredEvent.objects.get().reason == "The initiative “RBAC rollout” is done."


def test_a_fired_reason_is_cut_at_500_characters_in_the_trigger_and_its_event(
    architect, stakeholder
):
    from triggers.firing import Work

    made = _date_trigger(architect, stakeholder, _day(10), lead_days=[])
    trigger = Trigger.objects.select_for_update().get(pk=made.pk)
    work = Work(timezone.now())
    work.fire(trigger, reason="x" * 499 + "yz", details={})
    work.flush()
    trigger.refresh_from_db()
    assert trigger.state_reason == FiredEvent.objects.get().reason == "x" * 499 + "y"


def test_a_mitigation_without_a_due_date_is_not_looked_at_and_never_fires(architect, signers):
    from risks import services as risk_services

    acceptance = _acceptance(architect, signers, sign=False)
    overdue = _overdue(architect, acceptance)
    risk_services.mitigation_save(
        actor=architect,
        acceptance=acceptance,
        mitigation=overdue.mitigation,
        description=overdue.mitigation.description,
        due_on=None,
    )
    _sign(acceptance, architect, signers)
    assert _state(overdue) == ("armed", [], None)
    Trigger.objects.filter(pk=overdue.pk).update(next_check_at=start_of_day(_day(11)))
    assert sweep(now=start_of_day(_day(11))).fired == 0
    assert _state(overdue) == ("armed", [], None)


def test_the_first_of_two_triggers_firing_together_is_why_the_acceptance_is_triggered(
    architect, signers
):
    acceptance = _acceptance(architect, signers, sign=True)  # its sunset is on day 70
    trigger_create(
        actor=architect,
        name="Earlier",
        kind="date",
        params={"date": _day(69).isoformat()},
        risk_acceptance=acceptance,
    )
    assert sweep(now=start_of_day(_day(71))).fired == 2
    acceptance.refresh_from_db()
    assert (acceptance.state, acceptance.state_reason) == (
        "triggered",
        f"The date {_day(69)} has arrived.",
    )

"""Fired triggers in the risks ledger chain (triggers/ledger.py), through the real sweep."""

from datetime import timedelta

import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from risks.ledger_models import LedgerEvent
from triggers.models import FiredEvent, start_of_day
from triggers.services import trigger_acknowledge, trigger_rearm, trigger_resolve
from triggers.sweep import sweep


def _verify(capsys) -> tuple[bool, str]:
    try:
        call_command("verify_ledger")
    except CommandError as exc:
        return False, capsys.readouterr().out + str(exc)
    return True, capsys.readouterr().out


def test_a_sweep_firing_is_chained_and_survives_acknowledging_and_rearming(
    architect, acceptance_and_sunset, capsys
):
    acceptance, sunset = acceptance_and_sunset
    with time_machine.travel(start_of_day(sunset.fire_day) + timedelta(minutes=1), tick=False):
        assert sweep().fired == 1
    event = FiredEvent.objects.get(trigger=sunset)
    kinds = list(
        LedgerEvent.objects.filter(acceptance=acceptance)
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["triggered", "trigger.fired"]
    ok, out = _verify(capsys)
    assert ok, out

    # Acknowledging, resolving and re-arming (a new generation) are all legitimate.
    trigger_acknowledge(actor=architect, trigger=sunset)
    trigger_resolve(actor=architect, trigger=sunset, resolution="New sunset date agreed")
    trigger_rearm(
        actor=architect,
        trigger=sunset,
        justification="The sunset moved by a quarter.",
        params={"date": (sunset.fire_day + timedelta(days=90)).isoformat()},
    )
    ok, out = _verify(capsys)
    assert ok, out

    # Deleting the firing and winding the trigger back to the generation that fired is not.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM triggers_firedevent WHERE id = %s", [event.pk])
        cursor.execute("UPDATE triggers_trigger SET generation = 1 WHERE id = %s", [sunset.pk])
    ok, out = _verify(capsys)
    assert not ok
    assert (
        f"fired event #{event.pk} of trigger #{sunset.pk}: deleted (it fired in generation 1" in out
    )
    assert "re-armed" in out

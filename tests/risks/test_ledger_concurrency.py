"""Appends to one ledger chain at the same moment (PostgreSQL, several connections)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction

from risks import services
from risks.ledger_models import LedgerEvent
from risks.models import RiskAcceptance, SigningAttempt
from tests.conftest import PASSWORD, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _waiting_on_a_lock(pids: list[int]) -> int:
    with connection.cursor() as cursor:
        # pg_locks is live (pg_stat_activity is a snapshot inside a transaction).
        cursor.execute(
            "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
            [pids],
        )
        return cursor.fetchone()[0]


def test_simultaneous_attempts_and_a_signature_make_one_unbroken_chain(
    architect, stakeholder, stakeholder2, stakeholder3, draft, capsys
):
    require_postgres()
    services.acceptance_submit(actor=architect, acceptance=draft)
    before = LedgerEvent.objects.filter(acceptance=draft).count()
    errors: list[BaseException] = []
    pids: list[int] = []
    started = threading.Barrier(4)

    def attempt(user, password):
        try:
            pids.append(_backend_pid())
            started.wait()
            acceptance = RiskAcceptance.objects.get(pk=draft.pk)
            services.acceptance_sign(
                actor=user, acceptance=acceptance, password=password, verdict="approve"
            )
        except ValidationError:
            pass  # the wrong passwords: refused, and recorded
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(stakeholder, "wrong")),
        threading.Thread(target=attempt, args=(stakeholder2, "wrong too")),
        threading.Thread(target=attempt, args=(stakeholder3, PASSWORD)),
    ]
    # Hold the acceptance's row lock until all three writers queue behind it.
    with transaction.atomic():
        RiskAcceptance.objects.select_for_update().get(pk=draft.pk)
        for t in threads:
            t.start()
        started.wait()
        for _ in range(10_000):
            if _waiting_on_a_lock(pids) >= 3:
                break
        waiting = _waiting_on_a_lock(pids)
        assert not LedgerEvent.objects.filter(acceptance=draft).count() > before
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert waiting >= 3, "the three writers did not meet at the lock"
    # Two failed attempts, one signature and its successful attempt: four new events.
    seqs = list(
        LedgerEvent.objects.filter(acceptance=draft).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, before + 5))
    assert SigningAttempt.objects.filter(acceptance=draft).count() == 3
    call_command("verify_ledger")
    assert "0 problem(s)" in capsys.readouterr().out

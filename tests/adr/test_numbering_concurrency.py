"""Numbering is per log, gap-free, and safe when two architects create at once."""

import threading

import pytest
from django.db import connection, connections

from adr.models import Decision
from adr.services import decision_create, log_create
from tests.conftest import require_postgres


def test_each_log_numbers_from_one(db, architect, log):
    other = log_create(actor=architect, key="PAY", name="Payments")
    refs = [
        decision_create(actor=architect, log=lg, title="t").reference
        for lg in (log, other, log, other, log)
    ]
    assert refs == ["AUTH-0001", "PAY-0001", "AUTH-0002", "PAY-0002", "AUTH-0003"]


@pytest.mark.django_db(transaction=True)
def test_two_architects_creating_at_once_get_distinct_gap_free_numbers(architect, log):
    require_postgres()
    threads_n, per_thread = 4, 5
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def create_many():
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                decision_create(actor=architect, log=log, title=f"parallel {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=create_many) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Decision.objects.filter(log=log).values_list("number", flat=True))
    assert numbers == list(range(1, threads_n * per_thread + 1))
    log.refresh_from_db()
    assert log.last_number == threads_n * per_thread
    assert connections["default"].vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_a_creation_that_rolls_back_leaves_no_gap(architect, log):
    require_postgres()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    with pytest.raises(ValidationError), transaction.atomic():
        decision_create(actor=architect, log=log, title="doomed")
        raise ValidationError("rolled back")
    assert decision_create(actor=architect, log=log, title="next").number == 1

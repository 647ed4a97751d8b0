from adr.services import decision_create


def test_it_numbers_decisions_per_log_from_one(db, architect, log):
    first = decision_create(actor=architect, log=log, title="Use PostgreSQL")
    second = decision_create(actor=architect, log=log, title="Use Celery")
    assert (first.reference, second.reference) == ("AUTH-0001", "AUTH-0002")

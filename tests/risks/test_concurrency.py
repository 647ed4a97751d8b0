"""Two signatories signing at the same moment (PostgreSQL, two connections)."""

import threading
import time

import pytest
from django.db import connection, transaction

from risks import services
from risks.models import RiskAcceptance, Signature
from tests.conftest import PASSWORD, require_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_two_simultaneous_signatures_both_count_and_the_state_changes_once(
    architect, stakeholder, stakeholder2, stakeholder3, draft
):
    require_postgres()
    services.signatory_remove(actor=architect, signatory=draft.signatories.get(user=stakeholder3))
    services.acceptance_submit(actor=architect, acceptance=draft)
    errors: list[BaseException] = []
    started = threading.Barrier(3)

    def sign(user):
        try:
            started.wait()
            acceptance = RiskAcceptance.objects.get(pk=draft.pk)
            services.acceptance_sign(
                actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(u,)) for u in (stakeholder, stakeholder2)]
    # Hold the row lock so both signers are queued on it at the same moment.
    with transaction.atomic():
        RiskAcceptance.objects.select_for_update().get(pk=draft.pk)
        for t in threads:
            t.start()
        started.wait()
        time.sleep(0.5)
        assert Signature.objects.count() == 0
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    draft.refresh_from_db()
    assert draft.state == RiskAcceptance.State.ACCEPTED
    assert Signature.objects.filter(void=False, verdict="approve").count() == 2
    states = list(draft.history.order_by("history_id").values_list("state", flat=True))
    assert states.count(RiskAcceptance.State.ACCEPTED) == 1
    first, second = Signature.objects.order_by("id")
    assert second.previous_hash == first.signature_hash

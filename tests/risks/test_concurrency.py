"""Two signatories signing at the same moment (PostgreSQL, two connections)."""

import pytest

from risks import services
from risks.models import RiskAcceptance, Signature
from tests.conftest import PASSWORD, require_postgres
from tests.support.race import queued_on_row_lock

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

    def signer(user):
        def load():
            acceptance = RiskAcceptance.objects.get(pk=draft.pk)  # as the sign page read it
            return lambda: services.acceptance_sign(
                actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
            )

        return load

    # Both signers are released only once PostgreSQL shows both waiting on the row lock
    # (queued_on_row_lock fails the test otherwise): the race really happened.
    outcomes = queued_on_row_lock(
        RiskAcceptance,
        draft.pk,
        signer(stakeholder),
        signer(stakeholder2),
    )
    assert [o.error for o in outcomes] == [None, None]
    draft.refresh_from_db()
    assert draft.state == RiskAcceptance.State.ACCEPTED
    assert Signature.objects.filter(void=False, verdict="approve").count() == 2
    states = list(draft.history.order_by("history_id").values_list("state", flat=True))
    assert states.count(RiskAcceptance.State.ACCEPTED) == 1
    first, second = Signature.objects.order_by("id")
    assert second.previous_hash == first.signature_hash

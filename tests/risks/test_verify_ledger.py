"""`manage.py verify_ledger`: digests and chains, caught after direct SQL edits."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from risks import services, signing
from risks.models import Signature
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(submitted, stakeholder, stakeholder2, stakeholder3):
    for user in (stakeholder, stakeholder2, stakeholder3):
        services.acceptance_sign(
            actor=user, acceptance=submitted, password=PASSWORD, verdict="approve"
        )
    return submitted


def _sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify(capsys) -> tuple[bool, str]:
    try:
        call_command("verify_ledger")
    except CommandError as exc:
        return False, capsys.readouterr().out + str(exc)
    return True, capsys.readouterr().out


def test_an_untouched_ledger_verifies(accepted, architect, capsys):
    # Voided rounds and drafts are fine too.
    services.acceptance_update(actor=architect, acceptance=accepted, scope="new scope")
    services.sign_verified(
        actor=accepted.signatories.first().user, acceptance=accepted, verdict="approve"
    )
    ok, out = _verify(capsys)
    assert ok, out
    assert "1 acceptances, 4 signatures checked, 0 problem(s)" in out


def test_a_mitigation_edited_in_sql_is_caught(accepted, capsys):
    mitigation = accepted.mitigations.last()
    _sql("UPDATE risks_mitigation SET status = 'verified' WHERE id = %s", [mitigation.pk])
    ok, out = _verify(capsys)
    assert not ok
    # Three signatures no longer match the content; the chain names the row and field.
    assert out.count("PROBLEM") == 4
    assert "content changed without voiding" in out
    assert f'mitigation #{mitigation.pk}, field status: the database has "verified"' in out
    assert "4 problem(s)" in out


def test_a_signature_digest_edited_in_sql_is_caught(accepted, capsys):
    sig = Signature.objects.order_by("id")[1]
    _sql("UPDATE risks_signature SET content_digest = %s WHERE id = %s", ["0" * 64, sig.pk])
    ok, out = _verify(capsys)
    assert not ok
    lines = [line for line in out.splitlines() if line.startswith("PROBLEM")]
    assert all(f"signature #{sig.pk}" in line for line in lines)
    assert any("signature record altered" in line for line in lines)
    assert any("signed content 0000000000000000" in line for line in lines)


def test_a_forged_signature_hash_breaks_the_chain(accepted, capsys):
    first = Signature.objects.order_by("id")[0]
    # Re-hash an altered first signature consistently: the next link still catches it.
    first.printed_name = "Somebody Else"
    forged = signing.signature_compute_hash(first)
    _sql(
        "UPDATE risks_signature SET printed_name = %s, signature_hash = %s WHERE id = %s",
        ["Somebody Else", forged, first.pk],
    )
    ok, out = _verify(capsys)
    assert not ok
    assert "chain broken" in out


def test_a_deleted_last_signature_is_caught(accepted, capsys):
    last = Signature.objects.order_by("-id")[0]
    _sql("DELETE FROM risks_signature WHERE id = %s", [last.pk])
    ok, out = _verify(capsys)
    assert not ok
    assert "accepted without a valid approval from 1 named signatory" in out


def test_an_edit_of_a_draft_in_sql_is_caught_too(submitted, stakeholder2, capsys):
    # (Before the keyed chain, a draft's content was not checked at all.)
    services.acceptance_sign(
        actor=stakeholder2, acceptance=submitted, password=PASSWORD, verdict="decline", reason="no"
    )
    ok, out = _verify(capsys)
    assert ok, out
    _sql("UPDATE risks_riskacceptance SET scope = 'x' WHERE id = %s", [submitted.pk])
    ok, out = _verify(capsys)
    assert not ok
    assert f"acceptance #{submitted.pk}, acceptance row, field scope: the database has" in out

"""The tamper suite's cases, part 1: the acceptance's own rows and its signatures.

Each case edits the database as a database administrator could and returns the place
`verify_ledger` must name; `CASES` collects them for tests/risks/test_tamper_suite.py.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django.core.management import CommandError, call_command
from django.db import connection

from risks import services, signing
from risks.models import Signature
from tests.conftest import PASSWORD


def sql(statement: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.fetchall() if cursor.description else []


def verify(capsys, *args) -> tuple[bool, str]:
    try:
        call_command("verify_ledger", *args)
    except CommandError as exc:
        return False, capsys.readouterr().out + str(exc)
    return True, capsys.readouterr().out


def sign(user, acceptance, verdict="approve", reason=""):
    return services.acceptance_sign(
        actor=user, acceptance=acceptance, password=PASSWORD, verdict=verdict, reason=reason
    )


# --- The cases: each edits the database and returns the place the report must name. ---

CASES: dict[str, Callable[[SimpleNamespace], str]] = {}


def case(name: str):
    def register(fn):
        CASES[name] = fn
        return fn

    return register


def _acc(t, column: str, value) -> str:
    sql(f"UPDATE risks_riskacceptance SET {column} = %s WHERE id = %s", [value, t.acc.pk])
    return f"acceptance #{t.acc.pk}, acceptance row, field {column}: the database has"


@case("risk statement (Markdown) edited")
def _(t):
    return _acc(t, "risk_statement", "An XSS can read nothing.")


@case("risk_statement_html (what signers see) edited")
def _(t):
    return _acc(t, "risk_statement_html", "<p>No real risk.</p>")


@case("scope_html edited")
def _(t):
    return _acc(t, "scope_html", "<p>One internal page.</p>")


@case("title edited")
def _(t):
    return _acc(t, "title", "Nothing to see")


@case("impact lowered")
def _(t):
    return _acc(t, "impact", 1)


@case("expiry date pushed out")
def _(t):
    sql(
        "UPDATE risks_riskacceptance SET expires_on = expires_on + 300 WHERE id = %s",
        [t.acc.pk],
    )
    return f"acceptance #{t.acc.pk}, acceptance row, field expires_on"


@case("triggered set back to accepted (hiding the fired trigger)")
def _(t):
    return _acc(t, "state", "accepted")


@case("state set to revoked")
def _(t):
    return _acc(t, "state", "revoked")


@case("signing round changed")
def _(t):
    return _acc(t, "signing_round", 1)


@case("submission date changed")
def _(t):
    sql(
        "UPDATE risks_riskacceptance SET submitted_at = submitted_at - interval '3 days' "
        "WHERE id = %s",
        [t.acc.pk],
    )
    return f"acceptance #{t.acc.pk}, acceptance row, field submitted_at"


@case("submitter changed")
def _(t):
    return _acc(t, "submitted_by_id", t.users.sofia.pk)


@case("accountable owner changed")
def _(t):
    return _acc(t, "owner_id", t.users.eric.pk)


@case("mitigation weakened")
def _(t):
    sql("UPDATE risks_mitigation SET status = 'planned' WHERE id = %s", [t.mitigation.pk])
    return f'mitigation #{t.mitigation.pk}, field status: the database has "planned"'


@case("mitigation text edited")
def _(t):
    sql("UPDATE risks_mitigation SET description = 'x' WHERE id = %s", [t.other_mitigation.pk])
    return f"mitigation #{t.other_mitigation.pk}, field description"


@case("mitigation deleted")
def _(t):
    sql("DELETE FROM risks_mitigation WHERE id = %s", [t.other_mitigation.pk])
    return f"mitigation #{t.other_mitigation.pk}: deleted from the database"


@case("mitigation inserted")
def _(t):
    (pk,) = sql(
        "INSERT INTO risks_mitigation (acceptance_id, position, description, status) "
        "VALUES (%s, 9, 'WAF in front', 'verified') RETURNING id",
        [t.acc.pk],
    )[0]
    return f"mitigation #{pk}: not in the chain"


@case("signatory meaning changed")
def _(t):
    line = t.acc.signatories.get(user=t.users.eric)
    sql("UPDATE risks_requiredsignatory SET meaning = 'observer' WHERE id = %s", [line.pk])
    return f"signatory line #{line.pk}, field meaning"


@case("signatory line deleted")
def _(t):
    line = t.acc.signatories.get(user=t.users.eric)
    sql("UPDATE risks_signature SET signatory_id = NULL WHERE signatory_id = %s", [line.pk])
    sql("DELETE FROM risks_requiredsignatory WHERE id = %s", [line.pk])
    return f"signatory line #{line.pk}: deleted from the database"


@case("decision link deleted")
def _(t):
    sql("DELETE FROM risks_riskacceptance_decisions WHERE riskacceptance_id = %s", [t.acc.pk])
    return f"acceptance #{t.acc.pk}, linked decisions: the database links []"


def _sig(t, signature: Signature, column: str, value) -> str:
    sql(f"UPDATE risks_signature SET {column} = %s WHERE id = %s", [value, signature.pk])
    return f"signature #{signature.pk}, field {column}: the database has"


@case("decline-voided approval flipped back to valid")
def _(t):
    return _sig(t, t.approval_voided_by_decline, "void", False)


@case("valid approval voided")
def _(t):
    return _sig(t, t.approvals[0], "void", True)


@case("void reason edited")
def _(t):
    return _sig(t, t.approval_voided_by_decline, "void_reason", "withdrawn by the signer")


@case("signature moved to another signatory line")
def _(t):
    other = t.acc.signatories.get(user=t.users.sam)
    return _sig(t, t.approvals[2], "signatory_id", other.pk)


@case("signed content digest replaced")
def _(t):
    return _sig(t, t.approvals[1], "content_digest", "0" * 64)


@case("decline turned into an approval")
def _(t):
    return _sig(t, t.decline, "verdict", "approve")


@case("signing time changed")
def _(t):
    sql(
        "UPDATE risks_signature SET signed_at = signed_at - interval '1 day' WHERE id = %s",
        [t.approvals[0].pk],
    )
    return f"signature #{t.approvals[0].pk}, field signed_at"


@case("printed name changed and the signature hash recomputed")
def _(t):
    first = Signature.objects.get(pk=t.approvals[0].pk)
    first.printed_name = "Somebody Else"
    sql(
        "UPDATE risks_signature SET printed_name = %s, signature_hash = %s WHERE id = %s",
        ["Somebody Else", signing.signature_compute_hash(first), first.pk],
    )
    return f"signature #{first.pk}, field printed_name"


@case("last signature deleted")
def _(t):
    last = t.approvals[-1]
    sql("DELETE FROM risks_historicalsignature WHERE id = %s", [last.pk])
    sql("DELETE FROM risks_signature WHERE id = %s", [last.pk])
    return f"signature #{last.pk}: deleted from the database"


@case("every signature deleted and the state set to draft")
def _(t):
    sql("DELETE FROM risks_signature WHERE acceptance_id = %s", [t.acc.pk])
    sql("UPDATE risks_riskacceptance SET state = 'draft' WHERE id = %s", [t.acc.pk])
    return f"signature #{t.decline.pk}: deleted from the database"


@case("failed signing attempt deleted")
def _(t):
    sql("DELETE FROM risks_signingattempt WHERE id = %s", [t.failed_attempt.pk])
    return f"signing attempt #{t.failed_attempt.pk}: deleted from the database"


@case("failed signing attempt turned into a success")
def _(t):
    sql("UPDATE risks_signingattempt SET succeeded = true WHERE id = %s", [t.failed_attempt.pk])
    return f"signing attempt #{t.failed_attempt.pk}, field succeeded"

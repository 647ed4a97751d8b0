"""The tamper suite: 40+ kinds of raw SQL edit, each caught by `verify_ledger`, which says where.

One shared set-up builds an acceptance through three signing rounds (a decline that voids
an approval, an edit that voids another, then three approvals), a failed signing attempt,
a webhook trigger that fires (the acceptance becomes triggered), and a checkpoint written
outside the database. Each case then edits the database the way a database administrator
could (`connection.cursor()`), and the command must exit non-zero naming the place.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from risks import services, signing
from risks.ledger_chain import chain_record
from risks.ledger_models import LedgerEvent
from risks.models import RiskAcceptance, Signature, SigningAttempt
from tests.conftest import PASSWORD, require_postgres

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def ledger(draft, architect, stakeholder, stakeholder2, stakeholder3, tmp_path, settings):
    from triggers.services import trigger_create
    from triggers.webhooks import webhook_receive, webhook_signature

    require_postgres()
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    acc = draft
    trigger = trigger_create(
        actor=architect, name="Pentest retest passed", kind="webhook", risk_acceptance=acc
    )
    # Round 1: an approval, a wrong password, then a decline that voids the approval.
    services.acceptance_submit(actor=architect, acceptance=acc)
    approval_voided_by_decline = sign(stakeholder2, acc)
    with pytest.raises(ValidationError):
        services.acceptance_sign(
            actor=stakeholder3, acceptance=acc, password="wrong", verdict="approve"
        )
    decline = sign(stakeholder3, acc, "decline", "CSP alone is not enough")
    # Round 2: an approval, voided by an architect's edit of a mitigation (round 3).
    services.acceptance_submit(actor=architect, acceptance=acc)
    sign(stakeholder, acc)
    mitigation = acc.mitigations.order_by("position").first()
    services.mitigation_save(
        actor=architect,
        acceptance=acc,
        mitigation=mitigation,
        description="Strict CSP with nonces, violations reported",
        status="in_place",
        owner=stakeholder3,
    )
    # Round 3: everyone approves.
    approvals = [sign(user, acc) for user in (stakeholder, stakeholder2, stakeholder3)]
    acc.refresh_from_db()
    assert acc.state == "accepted" and acc.signing_round == 3
    # The webhook fires: the acceptance becomes triggered.
    body, ts = b'{"retest": "passed"}', str(int(time.time()))
    fired = webhook_receive(
        trigger_uuid=trigger.uuid,
        body=body,
        timestamp=ts,
        signature=webhook_signature(trigger.webhook_secret, ts, body),
    )
    acc.refresh_from_db()
    assert acc.state == "triggered"
    call_command("ledger_checkpoint")
    return SimpleNamespace(
        acc=acc,
        trigger=trigger,
        fired=fired,
        mitigation=mitigation,
        other_mitigation=acc.mitigations.order_by("position").last(),
        approval_voided_by_decline=approval_voided_by_decline,
        decline=decline,
        approvals=approvals,
        failed_attempt=SigningAttempt.objects.filter(acceptance=acc, succeeded=False).get(),
        events=list(LedgerEvent.objects.filter(acceptance=acc).order_by("seq")),
        users=SimpleNamespace(
            architect=architect, sam=stakeholder, sofia=stakeholder2, eric=stakeholder3
        ),
    )


def test_the_untouched_ledger_verifies_with_its_checkpoint(ledger, capsys):
    ok, out = verify(capsys, "--require-checkpoint")
    assert ok, out
    assert "0 problem(s)" in out and "1 checkpoint(s) read" in out
    kinds = [e.kind for e in ledger.events]
    for kind in ("created", "submitted", "signing-attempt", "signed", "edited", "triggered"):
        assert kind in kinds
    assert kinds[-1] == "trigger.fired"


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


def _history(table: str, where: str, params) -> int:
    return sql(f"SELECT history_id FROM {table} WHERE {where} ORDER BY history_id", params)[0][0]


@case("history: a change reason rewritten")
def _(t):
    hid = _history("risks_historicalriskacceptance", "id = %s", [t.acc.pk])
    sql(
        "UPDATE risks_historicalriskacceptance SET history_change_reason = 'typo' "
        "WHERE history_id = %s",
        [hid],
    )
    return f"history risks.historicalriskacceptance row #{hid}, field history_change_reason"


@case("history: an old risk statement rewritten")
def _(t):
    hid = _history("risks_historicalriskacceptance", "id = %s", [t.acc.pk])
    sql(
        "UPDATE risks_historicalriskacceptance SET risk_statement = 'x' WHERE history_id = %s",
        [hid],
    )
    return f"history risks.historicalriskacceptance row #{hid}, field risk_statement"


@case("history: who signed rewritten (history_user)")
def _(t):
    hid = _history("risks_historicalsignature", "id = %s", [t.decline.pk])
    sql(
        "UPDATE risks_historicalsignature SET history_user_id = %s WHERE history_id = %s",
        [t.users.sam.pk, hid],
    )
    return f"history risks.historicalsignature row #{hid}, field history_user_id"


@case("history: a mitigation's old version deleted")
def _(t):
    hid = _history("risks_historicalmitigation", "id = %s", [t.mitigation.pk])
    sql("DELETE FROM risks_historicalmitigation WHERE history_id = %s", [hid])
    return f"history risks.historicalmitigation row #{hid}: deleted"


@case("history: a row inserted")
def _(t):
    hid = _history("risks_historicalrequiredsignatory", "acceptance_id = %s", [t.acc.pk])
    columns = [
        c
        for (c,) in sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'risks_historicalrequiredsignatory' AND column_name != "
            "'history_id'"
        )
    ]
    cols = ", ".join(columns)
    (new,) = sql(
        f"INSERT INTO risks_historicalrequiredsignatory ({cols}) SELECT {cols} FROM "
        "risks_historicalrequiredsignatory WHERE history_id = %s RETURNING history_id",
        [hid],
    )[0]
    return f"history risks.historicalrequiredsignatory row #{new}: not sealed in the chain"


@case("fired event deleted and the trigger re-armed")
def _(t):
    sql("DELETE FROM triggers_historicalfiredevent WHERE id = %s", [t.fired.pk])
    sql("DELETE FROM triggers_firedevent WHERE id = %s", [t.fired.pk])
    sql(
        "UPDATE triggers_trigger SET state = 'armed', fired_at = NULL WHERE id = %s",
        [t.trigger.pk],
    )
    sql("UPDATE risks_riskacceptance SET state = 'accepted' WHERE id = %s", [t.acc.pk])
    return f"fired event #{t.fired.pk} of trigger #{t.trigger.pk}: deleted"


@case("fired event inserted")
def _(t):
    (pk,) = sql(
        "INSERT INTO triggers_firedevent (trigger_id, generation, fired_at, reason, details, "
        "resolution) SELECT trigger_id, generation + 1, fired_at, reason, details, resolution "
        "FROM triggers_firedevent WHERE id = %s RETURNING id",
        [t.fired.pk],
    )[0]
    return f"fired event #{pk} of trigger #{t.trigger.pk}: not in the acceptance's chain"


@case("chain: an event's payload edited")
def _(t):
    event = t.events[4]
    sql(
        "UPDATE risks_ledgerevent SET payload = replace(payload, '\"facts\":{', "
        '\'"facts":{"x":1,\') '
        "WHERE id = %s",
        [event.pk],
    )
    return f"event #{event.pk} (seq {event.seq}, {event.kind}): MAC does not match"


@case("chain: an event in the middle deleted")
def _(t):
    event = t.events[3]
    sql("DELETE FROM risks_ledgerevent WHERE id = %s", [event.pk])
    return f"event {event.seq} of the chain is missing (deleted)"


@case("chain: the newest events truncated")
def _(t):
    last = t.events[-1]
    sql(
        "DELETE FROM risks_ledgerevent WHERE acceptance_id = %s AND seq >= %s",
        [t.acc.pk, last.seq - 1],
    )
    return f"acceptance #{t.acc.pk}, chain event seq {last.seq}: gone from the database"


@case("chain: an event's key id changed")
def _(t):
    event = t.events[2]
    sql("UPDATE risks_ledgerevent SET key_id = 'k9' WHERE id = %s", [event.pk])
    return "sealed with key 'k9', which is not configured"


ATTACKER_KEY = "dev:" + base64.b64encode(b"the attacker guesses a key, 32 bytes+").decode()


def _recompute(t, *, keys: str | None) -> None:
    """A full recomputation with the product's own functions: weaken a mitigation, re-hash
    every signature on the new content, and rebuild the chain from the tables."""
    sql("UPDATE risks_mitigation SET status = 'planned' WHERE id = %s", [t.mitigation.pk])
    digest = signing.acceptance_digest(RiskAcceptance.objects.get(pk=t.acc.pk))
    previous = ""
    for sig in Signature.objects.filter(acceptance=t.acc).order_by("id"):
        if not sig.void:
            sig.content_digest = digest
        sig.previous_hash = previous
        sig.signature_hash = signing.signature_compute_hash(sig)
        previous = sig.signature_hash
        sql(
            "UPDATE risks_signature SET content_digest = %s, previous_hash = %s, "
            "signature_hash = %s WHERE id = %s",
            [sig.content_digest, sig.previous_hash, sig.signature_hash, sig.pk],
        )
    sql("DELETE FROM risks_ledgerevent WHERE acceptance_id = %s", [t.acc.pk])
    overrides = {"LEDGER_CHAIN_KEYS": keys} if keys else {}
    with override_settings(**overrides):
        chain_record(t.acc.pk, kind="created", facts={"reason": "rebuilt"})


@case("full recomputation with the product's functions, without the key")
def _(t):
    _recompute(t, keys=ATTACKER_KEY)
    event = LedgerEvent.objects.get(acceptance=t.acc)
    return f"event #{event.pk} (seq 1, created): MAC does not match"


@case("full recomputation with the product's functions and a stolen key")
def _(t):
    _recompute(t, keys=None)
    return (
        f"acceptance #{t.acc.pk}, chain event seq {t.events[-1].seq}: gone from the database, "
        "but checkpoint line 1"
    )


@case("acceptance deleted with everything it had")
def _(t):
    aid = t.acc.pk
    for table, column in (
        (
            "triggers_firedevent",
            "trigger_id IN (SELECT id FROM triggers_trigger WHERE risk_acceptance_id = %s)",
        ),
        (
            "triggers_evaluation",
            "trigger_id IN (SELECT id FROM triggers_trigger WHERE risk_acceptance_id = %s)",
        ),
        (
            "triggers_webhookdelivery",
            "trigger_id IN (SELECT id FROM triggers_trigger WHERE risk_acceptance_id = %s)",
        ),
        (
            "triggers_trigger_watchers",
            "trigger_id IN (SELECT id FROM triggers_trigger WHERE risk_acceptance_id = %s)",
        ),
        ("triggers_trigger", "risk_acceptance_id = %s"),
        ("risks_signature", "acceptance_id = %s"),
        ("risks_signingattempt", "acceptance_id = %s"),
        ("risks_requiredsignatory", "acceptance_id = %s"),
        ("risks_mitigation", "acceptance_id = %s"),
        ("risks_riskacceptance_decisions", "riskacceptance_id = %s"),
        ("risks_ledgerevent", "acceptance_id = %s"),
        ("risks_riskacceptance", "id = %s"),
    ):
        sql(f"DELETE FROM {table} WHERE {column}", [aid])
    return f"acceptance #{aid}, chain event seq {t.events[-1].seq}: gone from the database"


@case("acceptance inserted without a chain")
def _(t):
    columns = [f.column for f in RiskAcceptance._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(columns)
    (pk,) = sql(
        f"INSERT INTO risks_riskacceptance ({cols}) SELECT {cols} FROM risks_riskacceptance "
        "WHERE id = %s RETURNING id",
        [t.acc.pk],
    )[0]
    return f"acceptance #{pk}, ledger chain: the acceptance has no chain"


def test_the_suite_has_forty_kinds_of_edit():
    assert len(CASES) >= 40


@pytest.mark.parametrize("kind", list(CASES))
def test_each_raw_sql_edit_is_caught_and_placed(ledger, kind, capsys):
    ok, out = verify(capsys)
    assert ok, out
    place = CASES[kind](ledger)
    ok, out = verify(capsys)
    assert not ok, f"{kind}: not detected\n{out}"
    assert place in out, f"{kind}: the report does not name {place!r}\n{out}"


def test_without_the_key_it_says_so_and_fails(ledger, capsys):
    with override_settings(LEDGER_CHAIN_KEYS=""):
        ok, out = verify(capsys)
    assert not ok
    assert "no chain key is configured" in out


def test_with_an_unknown_key_id_every_event_says_which_key_is_missing(ledger, capsys):
    with override_settings(LEDGER_CHAIN_KEYS=ATTACKER_KEY.replace("dev:", "k2:")):
        ok, out = verify(capsys)
    assert not ok
    assert out.count("sealed with key 'dev', which is not configured") == len(ledger.events)


def test_a_rotated_key_still_verifies_older_events(ledger, architect, capsys):
    new = "k2:" + base64.b64encode(b"k" * 32).decode()
    with override_settings(
        LEDGER_CHAIN_KEYS=f"{new},{ledger_dev_keys()}", LEDGER_CHAIN_KEY_ID="k2"
    ):
        services.acceptance_revoke(actor=architect, acceptance=ledger.acc, reason="retest failed")
        ok, out = verify(capsys)
        assert ok, out
        assert LedgerEvent.objects.filter(acceptance=ledger.acc).last().key_id == "k2"
    ok, out = verify(capsys)  # without the new key, its event cannot be checked
    assert not ok and "sealed with key 'k2'" in out


def ledger_dev_keys() -> str:
    from django.conf import settings

    return settings.LEDGER_CHAIN_KEYS


def test_without_a_checkpoint_it_says_so(ledger, settings, tmp_path, capsys):
    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path / "nowhere")
    ok, out = verify(capsys)
    assert ok, out
    assert "WARNING no checkpoint found at" in out
    ok, out = verify(capsys, "--require-checkpoint")
    assert not ok and "no checkpoint found" in out


def test_a_forged_or_removed_checkpoint_line_is_reported(ledger, settings, capsys):
    from pathlib import Path

    call_command("ledger_checkpoint")
    path = Path(settings.LEDGER_CHECKPOINT_DIR) / "checkpoints.jsonl"
    first, second = path.read_text().splitlines()
    path.write_text(second + "\n")
    ok, out = verify(capsys)
    assert not ok and "checkpoint line 1: not linked to the line before it" in out
    path.write_text(first.replace('"v":1', '"v":1,"x":1') + "\n")
    ok, out = verify(capsys)
    assert not ok and "checkpoint line 1: its MAC does not match" in out

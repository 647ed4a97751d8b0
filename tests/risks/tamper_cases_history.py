"""The tamper suite's cases, part 2: history rows, attempts and the keyed chain.

Each case edits the database as a database administrator could and returns the place
`verify_ledger` must name; `CASES` collects them for tests/risks/test_tamper_suite.py.
"""

from __future__ import annotations

import base64

from django.test import override_settings

from risks import signing
from risks.ledger_chain import chain_record
from risks.ledger_models import LedgerEvent
from risks.models import RiskAcceptance, Signature
from tests.risks.tamper_cases import case, sql


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

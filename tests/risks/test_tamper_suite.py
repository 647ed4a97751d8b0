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
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings

from risks import services
from risks.ledger_models import LedgerEvent
from risks.models import SigningAttempt
from tests.conftest import require_postgres
from tests.risks.tamper_cases import CASES, sign, verify
from tests.risks.tamper_cases_history import ATTACKER_KEY

pytestmark = pytest.mark.django_db


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

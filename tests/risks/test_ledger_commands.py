"""The chain's commands and beat task: checkpoints on a schedule, chains for old data."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from risks.ledger_models import LedgerEvent
from risks.tasks import ledger_checkpoint
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _verify(capsys, *args) -> tuple[bool, str]:
    try:
        call_command("verify_ledger", *args)
    except CommandError as exc:
        return False, capsys.readouterr().out + str(exc)
    return True, capsys.readouterr().out


def test_the_beat_schedule_runs_the_checkpoint_task():
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-checkpoint"]
    assert entry["task"] == ledger_checkpoint.name == "risks.tasks.ledger_checkpoint"
    assert entry["schedule"] > 0


def test_the_checkpoint_task_appends_a_signed_line_per_run(
    submitted, stakeholder, tmp_path, settings, capsys
):
    from risks import services

    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    assert ledger_checkpoint() == "1 of 1 chain head(s) moved"
    assert ledger_checkpoint() == "0 of 1 chain head(s) moved"  # twice is harmless
    services.acceptance_sign(
        actor=stakeholder, acceptance=submitted, password=PASSWORD, verdict="approve"
    )
    assert ledger_checkpoint() == "1 of 1 chain head(s) moved"
    lines = [json.loads(x) for x in (Path(tmp_path) / "checkpoints.jsonl").open()]
    head = LedgerEvent.objects.filter(acceptance=submitted).order_by("-seq").first()
    assert lines[0]["chains"][str(submitted.pk)][0] == head.seq - 2  # signed + attempt
    assert lines[1]["chains"] == {}
    assert lines[2]["chains"] == {str(submitted.pk): [head.seq, head.mac]}
    assert lines[1]["prev"] == lines[0]["mac"] and lines[2]["prev"] == lines[1]["mac"]
    ok, out = _verify(capsys, "--require-checkpoint")
    assert ok, out
    assert "3 checkpoint(s) read" in out
    # Truncating the chain back to the first checkpoint's head is still seen.
    LedgerEvent.objects.filter(acceptance=submitted, seq__gt=head.seq - 2).delete()
    ok, out = _verify(capsys)
    assert not ok and f"chain event seq {head.seq}: gone from the database" in out


def test_without_a_checkpoint_directory_the_task_writes_nothing_and_verify_warns(submitted, capsys):
    assert settings.LEDGER_CHECKPOINT_DIR == ""
    assert "not set" in ledger_checkpoint()
    ok, out = _verify(capsys)
    assert ok and "WARNING no checkpoint directory" in out
    with pytest.raises(CommandError, match="LEDGER_CHECKPOINT_DIR"):
        call_command("ledger_checkpoint")


def test_an_acceptance_from_before_the_chain_is_reported_until_its_chain_is_started(
    submitted, stakeholder, capsys
):
    LedgerEvent.objects.filter(acceptance=submitted).delete()  # as before the upgrade
    ok, out = _verify(capsys)
    assert not ok and "the acceptance has no chain" in out
    call_command("ledger_start_chains")
    call_command("ledger_start_chains")
    assert "Started 0 chain(s); 1 already had one." in capsys.readouterr().out
    assert list(LedgerEvent.objects.values_list("kind", flat=True)) == ["adopted"]
    from risks import services

    services.acceptance_sign(
        actor=stakeholder, acceptance=submitted, password=PASSWORD, verdict="approve"
    )
    ok, out = _verify(capsys)
    assert ok, out


def test_the_checkpoint_is_emailed_to_the_auditors_too(submitted, tmp_path, settings):
    from config.notifications.models import Notification

    settings.LEDGER_CHECKPOINT_DIR = str(tmp_path)
    settings.LEDGER_CHECKPOINT_EMAILS = ["auditors@example.test"]
    ledger_checkpoint()
    line = (Path(tmp_path) / "checkpoints.jsonl").read_text().strip()
    mail = Notification.objects.get(event="ledger.checkpoint")
    assert mail.recipient == "auditors@example.test"
    assert mail.subject.startswith("Ledger checkpoint ") and mail.subject.endswith("1 of 1 moved)")
    assert line in mail.body_text
    assert json.loads(line)["mac"] in mail.body_html
    assert "&quot;chains&quot;" in mail.body_html  # the HTML body escapes the line

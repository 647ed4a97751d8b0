"""An import that would overwrite a decision it may not be about — another title, another
source file, or a decision linked from a risk acceptance — warns with a diff and needs a
choice: update, import as new, or skip. Without one, the decision is left alone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from adr import services
from adr.interop.importer import import_files
from adr.models import Decision

from .test_zip_upload import _upload, _zip

pytestmark = pytest.mark.django_db

KAFKA = b"# 1. Use Kafka\n\n## Status\n\nAccepted\n\n## Context\n\nEvents.\n"
REDIS = b"# 2. Use Redis\n\n## Status\n\nProposed\n\n## Context\n\nA cache.\n"


@pytest.fixture
def signed_log(architect):
    log = services.log_create(actor=architect, key="AUTH", name="auth")
    services.decision_create(
        actor=architect, log=log, title="Keep tokens in cookies", status="accepted"
    )
    return log


def _confirm(client, preview, **choices):
    digest = preview.content.decode().split('name="digest" value="')[1].split('"')[0]
    data = {"digest": digest, **{f"choice:{name}": value for name, value in choices.items()}}
    return client.post("/decisions/io/AUTH/import/confirm/", data)


def test_a_zip_over_an_unrelated_decision_warns_with_a_diff_and_changes_nothing_unasked(
    login, architect, signed_log
):
    client = login(architect)
    data = _zip({"0001-use-kafka.md": KAFKA, "0002-use-redis.md": REDIS})
    preview = _upload(client, "AUTH", data)
    page = preview.content.decode()
    assert "0001-use-kafka.md would overwrite AUTH-0001" in page
    assert "is titled “Keep tokens in cookies”, the file “Use Kafka”" in page
    assert "-# Keep tokens in cookies" in page and "+# 1. Use Kafka" in page  # the diff
    assert 'name="choice:0001-use-kafka.md" value="update" required' in page
    # Confirming without a choice (a crafted POST) leaves the decision alone.
    result = _confirm(client, preview)
    assert "needs your choice" in result.content.decode()
    assert Decision.objects.get(log=signed_log, number=1).title == "Keep tokens in cookies"
    assert Decision.objects.get(log=signed_log, number=2).title == "Use Redis"


@pytest.mark.parametrize("choice", ["new", "skip", "update"])
def test_the_choice_is_applied(login, architect, signed_log, choice):
    client = login(architect)
    preview = _upload(client, "AUTH", _zip({"0001-use-kafka.md": KAFKA}))
    _confirm(client, preview, **{"0001-use-kafka.md": choice})
    titles = dict(Decision.objects.filter(log=signed_log).values_list("number", "title"))
    assert (
        titles
        == {
            "new": {1: "Keep tokens in cookies", 2: "Use Kafka"},
            "skip": {1: "Keep tokens in cookies"},
            "update": {1: "Use Kafka"},
        }[choice]
    )


def test_a_decision_linked_from_a_risk_acceptance_is_never_touched_unasked(
    architect, stakeholder, signed_log, tmp_path
):
    from risks import services as risks

    decision = Decision.objects.get(log=signed_log, number=1)
    risks.acceptance_create(
        actor=architect,
        title="Tokens readable by scripts",
        risk_statement="XSS could read tokens.",
        owner=stakeholder,
        decisions=[decision],
    )
    # Same title, same number: only the content differs; the link is what protects it.
    same = b"# 1. Keep tokens in cookies\n\n## Status\n\nAccepted\n\n## Context\n\nChanged.\n"
    report = import_files(files=[("0001-keep.md", same)], log=signed_log, actor=architect)
    result = report.results[0]
    assert result.action == "conflict"
    assert "AUTH-0001 is linked from risk acceptances" in result.conflict
    assert Decision.objects.get(pk=decision.pk).context == ""

    (tmp_path / "0001-keep.md").write_bytes(same)
    out = StringIO()
    call_command(
        "import_adrs", str(tmp_path), "--log", "AUTH", "--on-conflict", "update", stdout=out
    )
    assert Decision.objects.get(pk=decision.pk).context == "Changed."

"""The demo seed: the case study's acceptance, idempotent, and it verifies."""

import pytest
from django.core.management import call_command

from risks.demo import TITLE
from risks.models import RiskAcceptance, Signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def risks_without_trigger_hooks():
    """The demo runs with every app's hooks, as `seed_demo` does."""


def test_the_demo_has_the_case_study_acceptance_two_of_three_signed(capsys):
    call_command("seed_demo")
    acc = RiskAcceptance.objects.get(title=TITLE)
    assert acc.state == "awaiting"
    assert acc.owner.username == "sam" and acc.submitted_by.username == "alice"
    assert [(s.user.username, s.meaning) for s in acc.signatories.all()] == [
        ("sam", "risk owner"),
        ("sofia", "security lead"),
        ("eric", "engineering lead"),
    ]
    assert sorted(Signature.objects.values_list("user__username", flat=True)) == ["sam", "sofia"]
    descriptions = " ".join(acc.mitigations.values_list("description", flat=True))
    for words in ("Content Security Policy", "Short-lived access tokens", "Dependency", "Amplify"):
        assert words in descriptions
    decision = acc.decisions.get()
    assert decision.log.key == "AUTH" and decision.status == "deferred"
    call_command("verify_ledger")
    assert "0 problem(s)" in capsys.readouterr().out


def test_the_demo_is_idempotent():
    call_command("seed_demo")
    call_command("seed_demo")
    assert RiskAcceptance.objects.filter(title=TITLE).count() == 1
    assert Signature.objects.count() == 2


def test_the_demo_works_without_the_decision_log_demo(django_user_model):
    from config.management.commands.seed_demo import Command
    from risks import demo

    users = Command()._users()
    summary = demo.seed(users=users)
    assert "awaiting" in summary
    assert not RiskAcceptance.objects.get().decisions.exists()

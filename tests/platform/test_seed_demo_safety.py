"""`seed_demo` publishes its passwords: it refuses production settings unless forced,
and never changes the password of an account that already exists."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from config.management.commands.seed_demo import DEMO_USERS
from tests.platform.fingerprint import db_fingerprint

pytestmark = pytest.mark.django_db
THEIR_OWN = "a-password-only-alice-knows"


def _seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@override_settings(LEDGER_PRODUCTION=True)
def test_it_refuses_production_settings_without_force():
    before = db_fingerprint()
    with pytest.raises(CommandError, match="--force"):
        _seed()
    assert db_fingerprint() == before
    assert not get_user_model().objects.exists()


@override_settings(LEDGER_PRODUCTION=True)
def test_with_force_it_loads_under_production_settings():
    output = _seed("--force")
    assert get_user_model().objects.filter(username="alice").exists()
    assert "alice-architect-2026" in output


def test_it_never_changes_an_existing_users_password(django_user_model):
    alice = django_user_model.objects.create_user(username="alice", password=THEIR_OWN)
    output = _seed()
    alice.refresh_from_db()
    assert alice.check_password(THEIR_OWN)
    assert not alice.check_password("alice-architect-2026")
    (line,) = [line for line in output.splitlines() if line.strip().startswith("alice")]
    assert "password not changed" in line and "alice-architect-2026" not in line
    # The demo users it created itself get their printed passwords.
    sam_password = next(p for u, *_x, p, _s in DEMO_USERS if u == "sam")
    assert django_user_model.objects.get(username="sam").check_password(sam_password)
    # A second run changes no password either, and still prints the ones that work.
    output = _seed()
    alice.refresh_from_db()
    assert alice.check_password(THEIR_OWN)
    assert sam_password in output

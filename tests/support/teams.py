"""Helpers for the teams and per-log permission tests (tests/*/test_team_access.py)."""

from __future__ import annotations

from rest_framework.test import APIClient

from config.accounts.services import api_token_create


def token_client(user) -> APIClient:
    """An API client authenticated with a fresh bearer token of ``user``."""
    client = APIClient()
    _, raw = api_token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def payments_and_identity(*, staff, pay: dict, idn: dict) -> tuple:
    """The two teams of the permission tests: Payments and Identity, with their members
    ({user: role}). Returns (payments, identity)."""
    from config.accounts.teams import membership_set, team_create

    teams = []
    for name, members in (("Payments", pay), ("Identity", idn)):
        team = team_create(actor=staff, name=name)
        for user, role in members.items():
            membership_set(actor=staff, team=team, user=user, role=role)
        teams.append(team)
    return tuple(teams)


def make_people(django_user_model, staff, **personas: tuple[str, str | None]) -> dict:
    """``staff`` and one user per persona: ``name=(username, organisation role or None)``."""
    from tests.conftest import make_user

    people = {"staff": staff}
    for persona, (username, role) in personas.items():
        people[persona] = make_user(django_user_model, username, role)
    return people


def private_and_open_logs(*, staff, pay: dict, idn: dict) -> dict:
    """The Payments and Identity teams with their members ({user: role}) and a log each:
    PAY, private to Payments, and IDN, open to every reader. Returns {key: log}."""
    from adr import services as adr

    payments, identity = payments_and_identity(staff=staff, pay=pay, idn=idn)
    return {
        "PAY": adr.log_create(actor=staff, key="PAY", name="Payments", team=payments, private=True),
        "IDN": adr.log_create(actor=staff, key="IDN", name="Identity", team=identity),
    }

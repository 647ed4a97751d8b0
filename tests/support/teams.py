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

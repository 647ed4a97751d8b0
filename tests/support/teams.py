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

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config.accounts.services import api_token_create


@pytest.fixture
def api():
    """`api(user)` → an APIClient authenticated with a fresh bearer token of `user`
    (None: anonymous)."""

    def _api(user=None):
        client = APIClient()
        if user is not None:
            _, raw = api_token_create(user=user, name="test")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return _api


@pytest.fixture
def decision(architect, log):
    from adr import services

    d = services.decision_create(
        actor=architect, log=log, title="Keep tokens in cookies", context="Pentest.", tags=["auth"]
    )
    for i in range(2):
        services.option_save(actor=architect, decision=d, position=i, title=f"Option {i + 1}")
    return d

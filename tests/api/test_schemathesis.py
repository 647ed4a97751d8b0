"""Schemathesis against /api/schema/, through the WSGI app, as an architect with a token:
no generated request may produce a server error.

Driven with Hypothesis directly (one strategy per operation) rather than through
schemathesis' pytest plugin, whose lazy fixture loading does not work with pytest 9.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from config.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calling the WSGI app directly sends request_started/finished, whose
    close_old_connections would close the test's transaction (Django's test client
    disconnects it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Bounded for the suite; raise it locally to dig deeper (LEDGER_SCHEMATHESIS_EXAMPLES=200).
EXAMPLES_PER_OPERATION = int(os.environ.get("LEDGER_SCHEMATHESIS_EXAMPLES", "10"))


def test_no_generated_request_causes_a_server_error(architect, decision):
    from config.accounts.services import api_token_create
    from risks.services import acceptance_create

    acceptance_create(
        actor=architect, title="Tokens", risk_statement="XSS", owner=architect, decisions=[decision]
    )
    token = api_token_create(user=architect, name="schemathesis")[1]
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", application, headers={"Authorization": f"Bearer {token}"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    calls = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=EXAMPLES_PER_OPERATION <= 10,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            calls.append(case.operation.label)
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(set(calls)) == len(operations) and len(calls) > 3 * len(operations)

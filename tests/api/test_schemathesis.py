"""Schemathesis against /api/schema/, through the WSGI app, as an architect with a token:
no generated request may produce a server error.

Driven with Hypothesis directly (one strategy per operation) rather than through
schemathesis' pytest plugin, whose lazy fixture loading does not work with pytest 9.

Random ids and log keys almost never name a row that exists, so most generated
requests would stop at a 404 or "does not exist". The schema is therefore seeded with
what the database holds: every path id and log key may also be drawn from the
existing ones (an `anyOf` of those values and the original schema), and every body
field that refers to a log, decision, option, criterion, acceptance or initiative is
sent and names an existing one. That takes the generator past the lookups into the
code that acts on the rows (e.g. a PATCH naming a real log, a former 500).
"""

from __future__ import annotations

import copy
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
EXAMPLES_PER_OPERATION = int(os.environ.get("LEDGER_SCHEMATHESIS_EXAMPLES", "25"))


def _existing() -> dict[str, list]:
    """{path segment or field name: values that exist} for seeding the schema."""
    from adr.models import (
        Criterion,
        Decision,
        DecisionLog,
        DecisionRelation,
        Option,
        SensitivityNote,
    )
    from risks.models import RiskAcceptance
    from triggers.models import FiredEvent, Initiative, Trigger

    def ids(model):
        return list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])

    return {
        "logs": list(DecisionLog.objects.values_list("key", flat=True)),
        "decisions": ids(Decision),
        "options": ids(Option),
        "criteria": ids(Criterion),
        "relations": ids(DecisionRelation),
        "sensitivity-notes": ids(SensitivityNote),
        "risk-acceptances": ids(RiskAcceptance),
        "triggers": ids(Trigger),
        "fired-events": ids(FiredEvent),
        "initiatives": ids(Initiative),
    }


# Body fields that name another row, and the list whose values they take.
REFERENCES = {
    "log": "logs",
    "decision": "decisions",
    "option": "options",
    "criterion": "criteria",
    "risk_acceptance": "risk-acceptances",
    "initiative": "initiatives",
}


def _or_existing(schema: dict, values: list) -> dict:
    return {"anyOf": [{"enum": values}, schema]} if values else schema


def seeded_schema(raw: dict, existing: dict[str, list]) -> dict:
    """The OpenAPI document with existing values added to ids, keys and references."""
    for path, item in raw["paths"].items():
        segment = path.removeprefix("/api/v1/").split("/")[0]
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter["in"] == "path" and parameter["name"] in ("id", "key"):
                    values = existing.get(segment, [])
                    parameter["schema"] = _or_existing(parameter["schema"], values)
    for component in raw["components"]["schemas"].values():
        if "properties" in component:
            # Unknown keys are ignored by every serializer: spend the examples on known ones.
            component.setdefault("additionalProperties", False)
        for name, prop in component.get("properties", {}).items():
            values = existing.get(REFERENCES.get(name, ""), [])
            if values and not prop.get("readOnly"):
                # Always sent and always a real row: a dangling reference stops at the
                # serializer (tests/api test those), a real one reaches the service.
                nullable = [None] if prop.get("nullable") else []
                component["properties"][name] = {"enum": values + nullable}
                component["required"] = sorted({*component.get("required", []), name})
    return raw


def test_no_generated_request_causes_a_server_error(architect, decision):
    from config.accounts.services import api_token_create
    from risks.services import acceptance_create

    acceptance_create(
        actor=architect, title="Tokens", risk_statement="XSS", owner=architect, decisions=[decision]
    )
    token = api_token_create(user=architect, name="schemathesis")[1]
    served = schemathesis.openapi.from_wsgi(
        "/api/schema/", application, headers={"Authorization": f"Bearer {token}"}
    )
    raw = copy.deepcopy(served.raw_schema)
    schema = schemathesis.openapi.from_dict(seeded_schema(raw, _existing()))
    schema.app, schema.location = application, "/api/schema/"
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    calls = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            # Deterministic in the suite; a deeper local run explores afresh each time.
            derandomize="LEDGER_SCHEMATHESIS_EXAMPLES" not in os.environ,
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

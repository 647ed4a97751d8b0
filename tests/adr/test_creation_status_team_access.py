"""A decision created in a status other than proposed passes the checks a status change
would (adr.services.decision_create, adr.status_checks): a log requiring two approvals
refuses creating an accepted decision, in the services, the API and for a team's own
architect; nothing is created superseded. An import keeps the status its file states
(it records history), whatever the log's review policy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from adr import services
from adr.interop.importer import import_files
from adr.models import Decision
from reviews.services import policy_set
from tests.conftest import make_user
from tests.support.teams import payments_and_identity, token_client

pytestmark = pytest.mark.django_db

REFUSAL = "needs 2 approval(s) of the current version"
ACCEPTED_FILE = b"""---
status: accepted
date: 2021-03-04
---

# Settle card payments through the Zanzibar router

## Context and Problem Statement

Decided in 2021, before the ledger.
"""


@pytest.fixture
def world(django_user_model, staff):
    pat = make_user(django_user_model, "pat", None)
    pay, _ = payments_and_identity(staff=staff, pay={pat: "architect"}, idn={})
    log = services.log_create(actor=staff, key="PAY", name="Payments", team=pay, private=True)
    policy_set(actor=pat, log=log, required_approvals=2, deciders_only=False)
    return staff, pat, log


@pytest.mark.parametrize("persona", ["staff", "pay_architect"])
def test_creating_an_accepted_decision_in_a_log_needing_approvals_is_refused(world, persona):
    staff, pat, log = world
    actor = staff if persona == "staff" else pat
    with pytest.raises(ValidationError) as refused:
        services.decision_create(actor=actor, log=log, title="Straight in", status="accepted")
    assert REFUSAL in " ".join(refused.value.message_dict["status"])
    with pytest.raises(ValidationError) as whole:
        services.decision_save_full(
            actor=actor, decision=None, log=log, fields={"title": "Whole"}, status="accepted"
        )
    assert REFUSAL in " ".join(whole.value.message_dict["status"])
    assert not Decision.objects.filter(log=log).exists()
    # Proposed is fine, and takes the first number (the refused ones left no gap).
    assert services.decision_create(actor=actor, log=log, title="Proposed").number == 1


def test_the_api_refuses_creating_an_accepted_decision_with_the_same_message(world):
    _, pat, log = world
    body = {"log": "PAY", "title": "Over the API", "status": "accepted"}
    response = token_client(pat).post("/api/v1/decisions/", body, format="json")
    assert response.status_code == 400, response.content
    assert REFUSAL in response.content.decode()
    assert not Decision.objects.filter(log=log).exists()
    body["status"] = "proposed"
    assert token_client(pat).post("/api/v1/decisions/", body, format="json").status_code == 201


def test_nothing_is_created_superseded_or_deprecated(world):
    staff, _, _ = world
    log = services.log_create(actor=staff, key="ORG", name="Organisation")
    for status in ("superseded", "deprecated"):
        with pytest.raises(ValidationError) as refused:
            services.decision_create(actor=staff, log=log, title="Odd", status=status)
        assert f"cannot be created {status}" in str(refused.value)
    made = services.decision_create(actor=staff, log=log, title="Agreed", status="accepted")
    assert made.status == "accepted"  # no policy on this log


@pytest.mark.parametrize("persona", ["staff", "pay_architect"])
def test_an_import_keeps_the_accepted_status_its_file_states(world, persona):
    staff, pat, log = world
    actor = staff if persona == "staff" else pat
    report = import_files(
        files=[("0001-zanzibar-router.md", ACCEPTED_FILE)],
        log=log,
        actor=actor,
        change_reason="migration",
    )
    assert [r.action for r in report.results] == ["created"], report.summary()
    decision = Decision.objects.get(log=log)
    assert decision.status == "accepted"
    assert decision.history.earliest().history_user == actor

"""Risk acceptance fixtures on top of the shared personas (tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from risks import hooks, services


def empty(*registries) -> None:
    """Unregister everything (the autouse `registries` fixture puts it back)."""
    for registry in registries:
        for item in registry:
            registry.unregister(item)


@pytest.fixture(autouse=True)
def risks_without_trigger_hooks(registries):
    """These tests check the acceptance rules alone ("until hooks are registered, the
    expiry date suffices"); the triggers app tests what its hooks add."""
    empty(hooks.SUBMIT_CHECKS, hooks.ACCEPTANCE_SAVED)


def new_acceptance(architect, *, owner, title="t", risk_statement="r", days=30, **fields):
    """A draft with what the services need and an expiry `days` ahead (within the policy)."""
    return services.acceptance_create(
        actor=architect,
        title=title,
        risk_statement=risk_statement,
        owner=owner,
        expires_on=timezone.localdate() + timedelta(days=days),
        **fields,
    )


def add_date_trigger(architect, acceptance):
    """The triggers app's date trigger (150 days ahead) on `acceptance`."""
    from triggers.services import trigger_create

    return trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=150)).isoformat()},
        risk_acceptance=acceptance,
    )


@pytest.fixture
def deferral(log, architect):
    from adr.services import decision_create

    return decision_create(
        actor=architect,
        log=log,
        title="Defer moving Cognito tokens out of JS-readable cookies",
        status="deferred",
        revisit_by=timezone.localdate() + timedelta(days=180),
    )


@pytest.fixture
def draft(architect, stakeholder, stakeholder2, stakeholder3, deferral):
    """A complete draft: owner sam, three signatories, two mitigations, one linked decision."""
    return new_acceptance(
        architect,
        title="JS-readable auth tokens in non-HttpOnly cookies",
        risk_statement="An XSS anywhere on the domain can read the tokens.",
        owner=stakeholder,
        finding_source="pentest",
        finding_reference="PT-2026-014",
        likelihood=3,
        impact=4,
        scope="All Next.js frontends on *.example.test",
        residual_risk="Medium while CSP holds.",
        days=180,
        decisions=[deferral],
        mitigations=[
            {"description": "Strict CSP with nonces", "status": "in_place", "owner": stakeholder3},
            {
                "description": "Access tokens live 5 minutes",
                "status": "planned",
                "owner": stakeholder3,
                "due_on": timezone.localdate() + timedelta(days=30),
            },
        ],
        signatories=[
            {"user": stakeholder, "meaning": "risk owner"},
            {"user": stakeholder2, "meaning": "security lead"},
            {"user": stakeholder3, "meaning": "engineering lead"},
        ],
    )


@pytest.fixture
def submitted(draft, architect):
    return services.acceptance_submit(actor=architect, acceptance=draft)

"""Trigger fixtures on top of the shared personas: the case study's deferral and acceptance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD


@pytest.fixture
def deferred_decision(log, architect):
    from adr.services import decision_create

    return decision_create(
        actor=architect,
        log=log,
        title="Defer moving Cognito tokens out of JS-readable cookies",
        status="proposed",
    )


def make_acceptance(*, architect, owner, signers, decisions, expires_on: date, sign=True):
    """Draft → (a date trigger so it may be submitted) → submitted → signed by everyone."""
    from risks import services as risk_services
    from triggers.services import trigger_create

    acceptance = risk_services.acceptance_create(
        actor=architect,
        title="JS-readable auth tokens in non-HttpOnly cookies",
        risk_statement="An XSS anywhere on the domain can read the tokens.",
        owner=owner,
        expires_on=expires_on,
        decisions=decisions,
        mitigations=[{"description": "Strict CSP with nonces", "status": "in_place"}],
        signatories=[{"user": u, "meaning": f"signer {i}"} for i, u in enumerate(signers)],
    )
    sunset = trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": (expires_on - timedelta(days=30)).isoformat()},
        risk_acceptance=acceptance,
        decisions=decisions,
        justification="The legacy frontends cannot move to HttpOnly cookies before they die.",
    )
    if sign:
        risk_services.acceptance_submit(actor=architect, acceptance=acceptance)
        for user in signers:
            risk_services.acceptance_sign(
                actor=user, acceptance=acceptance, password=PASSWORD, verdict="approve"
            )
        acceptance.refresh_from_db()
    return acceptance, sunset


@pytest.fixture
def acceptance_and_sunset(architect, stakeholder, stakeholder2, stakeholder3, deferred_decision):
    today = timezone.localdate()
    return make_acceptance(
        architect=architect,
        owner=stakeholder,
        signers=[stakeholder, stakeholder2, stakeholder3],
        decisions=[deferred_decision],
        expires_on=today + timedelta(days=120),
    )


@pytest.fixture
def roles(transactional_db):
    """Role groups for transactional tests: a flush by an earlier transactional test removes
    the groups that migration 0002_roles created. Request it before any persona."""
    from django.contrib.auth.models import Group

    from config.accounts.roles import ALL_ROLES

    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)

"""Lists that do not grow with the data: every list page shows at most one page of rows
and costs the same number of queries with 3 rows as with 60."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from adr import services as adr_services
from risks import services as risk_services
from triggers import services as trigger_services

pytestmark = pytest.mark.django_db
PAGE = 50


def _decisions(architect, log, n, start=0):
    for i in range(start, start + n):
        decision = adr_services.decision_create(
            actor=architect, log=log, title=f"Decision {i}", tags=[f"tag{i % 3}"]
        )
        adr_services.option_save(actor=architect, decision=decision, title=f"Option {i}")


def _logs(architect, log, n, start=0):
    for i in range(start, start + n):
        adr_services.log_create(actor=architect, key=f"L{i}", name=f"Log {i}")


def _acceptances(architect, log, n, start=0, *, owner):
    decision = adr_services.decision_create(actor=architect, log=log, title="Risky")
    for i in range(start, start + n):
        risk_services.acceptance_create(
            actor=architect,
            title=f"Acceptance {i}",
            risk_statement="r",
            owner=owner,
            decisions=[decision],
            expires_on=timezone.localdate() + timedelta(days=30),
            mitigations=[{"description": "m"}],
            signatories=[{"user": owner, "meaning": "risk owner"}],
        )


def _triggers(architect, log, n, start=0):
    decision = adr_services.decision_create(actor=architect, log=log, title="Watched")
    for i in range(start, start + n):
        trigger_services.trigger_create(
            actor=architect,
            name=f"Trigger {i}",
            kind="date",
            params={"date": (timezone.localdate() + timedelta(days=10 + i)).isoformat()},
            decisions=[decision],
        )


def _initiatives(architect, log, n, start=0):
    for i in range(start, start + n):
        trigger_services.initiative_create(actor=architect, name=f"Initiative {i}")


LISTS = [
    ("/decisions/", _decisions, "Decision "),
    ("/decisions/?q=decision", _decisions, "Decision "),
    ("/decisions/logs/AUTH/", _decisions, "Decision "),
    ("/decisions/logs/", _logs, "Log "),
    ("/risks/", _acceptances, "Acceptance "),
    ("/triggers/", _triggers, "Trigger "),
    ("/triggers/initiatives/", _initiatives, "Initiative "),
]


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


@pytest.mark.parametrize(("url", "make", "marker"), LISTS, ids=[u for u, _, _ in LISTS])
def test_every_list_page_is_paginated_and_its_query_count_is_constant(
    url, make, marker, staff, stakeholder, log, login
):
    kwargs = {"owner": stakeholder} if make is _acceptances else {}
    client = login(staff)
    make(staff, log, 3, **kwargs)
    _, few = _get(client, url)
    make(staff, log, PAGE + 10, 3, **kwargs)
    html, many = _get(client, url)
    assert many == few, f"{url}: {few} queries with 3 rows, {many} with {PAGE + 13}"
    assert 'aria-label="Pages"' in html, f"{url} has no pagination"
    shown = len(re.findall(rf">{marker}\d+<", html))
    assert 0 < shown <= PAGE, f"{url} shows {shown} rows"

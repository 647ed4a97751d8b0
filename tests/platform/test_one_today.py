"""One clock: the ledger's "today" is the date in TIME_ZONE, whoever is looking.

The instant 2027-03-01 23:30 UTC is 2 March in Europe/Berlin (the ledger's zone),
1 March in Pago Pago (UTC-11) and 2 March in Kiritimati (UTC+14). Users in those
zones see times in their own zone, but every date rule gives them 2 March.
"""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from adr.services import decision_create
from config.clock import ledger_today, start_of_day
from risks import services as risks
from risks.workflow import submit_problems
from triggers.models import local_today

pytestmark = pytest.mark.django_db

INSTANT = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)
LEDGER_DAY = date(2027, 3, 2)
BEHIND, AHEAD = "Pacific/Pago_Pago", "Pacific/Kiritimati"


def _accept_on_the_page(client, decision) -> None:
    """Post the detail page's status form as a browser would (hidden fields included)."""
    url = f"/decisions/{decision.log.key}-{decision.number}/"
    page = client.get(url).content.decode()
    form = re.search(r'<form method="post" action="[^"]*/status/">(.*?)</form>', page, re.S)
    assert form, "no status form on the page"
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[1]))
    data.update({"status": "accepted", "reason": "", "revisit_by": ""})
    response = client.post(f"{url}status/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_same_instant_gives_users_in_different_zones_the_same_decided_on(
    client, settings, architect, staff, log
):
    assert settings.TIME_ZONE == "Europe/Berlin"
    architect.time_zone, staff.time_zone = BEHIND, AHEAD
    architect.save(update_fields=["time_zone"])
    staff.save(update_fields=["time_zone"])
    first = decision_create(actor=architect, log=log, title="Tokens in cookies")
    second = decision_create(actor=architect, log=log, title="Sessions in Redis")
    with time_machine.travel(INSTANT, tick=False):
        client.force_login(architect)
        _accept_on_the_page(client, first)
        client.force_login(staff)
        _accept_on_the_page(client, second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "accepted")
    assert first.decided_on == second.decided_on == LEDGER_DAY


def test_an_expiry_is_in_the_past_for_everyone_or_for_no_one(architect, stakeholder):
    acceptance = risks.acceptance_create(
        actor=architect,
        title="Tokens",
        risk_statement="XSS could read tokens",
        owner=stakeholder,
        expires_on=date(2027, 3, 1),  # yesterday, in the ledger's calendar
    )
    verdicts = []
    with time_machine.travel(INSTANT, tick=False):
        for zone in (BEHIND, AHEAD, "UTC"):
            with timezone.override(ZoneInfo(zone)):  # as the middleware does for a user
                problems = submit_problems(acceptance, hook_checks=False)
                verdicts.append("The expiry date is in the past." in problems)
    assert verdicts == [True, True, True]


def test_the_sweep_and_the_pages_share_one_calendar():
    with time_machine.travel(INSTANT, tick=False):
        for zone in (BEHIND, AHEAD):
            with timezone.override(ZoneInfo(zone)):
                assert ledger_today() == local_today() == LEDGER_DAY
                assert timezone.localdate() != LEDGER_DAY or zone == AHEAD
    assert start_of_day(LEDGER_DAY) == datetime(2027, 3, 1, 23, 0, tzinfo=UTC)

"""Five inputs that used to answer 500: each is now a clear 4xx and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from adr.models import Decision
from config.accounts.models import ApiToken
from tests.adr.conftest import form_values
from tests.platform.fingerprint import db_fingerprint
from triggers.models import Evaluation, FiredEvent, Trigger, WebhookDelivery


@pytest.fixture
def decision(architect, log):
    from adr import services

    d = services.decision_create(actor=architect, log=log, title="Keep tokens in cookies")
    services.option_save(actor=architect, decision=d, position=0, title="Cookies")
    return d


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    from config.accounts.services import api_token_create

    def _api(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")
        return client

    return _api


@pytest.fixture
def other_log(architect):
    from adr.services import log_create

    return log_create(actor=architect, key="PAY", name="Payments")


def test_a_nul_byte_in_an_api_token_name_is_a_400(postgres, login, architect):
    client = login(architect)
    before = db_fingerprint()
    response = client.post("/accounts/profile/", {"name": "ci\x00pipeline"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    assert db_fingerprint() == before


def test_the_token_service_refuses_a_nul_byte_itself(postgres, architect):
    from django.core.exceptions import ValidationError

    from config.accounts.services import api_token_create

    with pytest.raises(ValidationError, match="NUL"):
        api_token_create(user=architect, name="ci\x00pipeline")
    assert not ApiToken.objects.exists()


def test_a_nul_byte_in_the_reviewed_reason_is_a_400(postgres, login, architect, decision):
    from adr.services import decision_flag_review

    decision_flag_review(decision=decision, reason="A trigger fired")
    client = login(architect)
    before = db_fingerprint()
    response = client.post(f"/decisions/{decision.reference}/reviewed/", {"reason": "ok\x00"})
    assert response.status_code == 400
    assert Decision.objects.get(pk=decision.pk).needs_review is True
    assert db_fingerprint() == before


def _signed(trigger, body: bytes) -> dict:
    ts = str(int(timezone.now().timestamp()))
    mac = hmac.new(trigger.webhook_secret.encode(), f"{ts}.".encode() + body, hashlib.sha256)
    return {"HTTP_X_LEDGER_TIMESTAMP": ts, "HTTP_X_LEDGER_SIGNATURE": f"sha256={mac.hexdigest()}"}


def test_a_nul_byte_in_a_correctly_signed_webhook_body_is_a_400(
    postgres, client, architect, decision
):
    from triggers.services import trigger_create

    hook = trigger_create(actor=architect, name="Retest", kind="webhook", decisions=[decision])
    body = b'{"finding": "PT-1\x00"}'
    before = db_fingerprint()
    response = client.post(
        f"/hooks/{hook.uuid}/", data=body, content_type="application/json", **_signed(hook, body)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "nul_byte"
    assert Trigger.objects.get(pk=hook.pk).state == "armed"
    assert not FiredEvent.objects.exists() and not Evaluation.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert db_fingerprint() == before
    # The same call without the NUL byte fires the trigger (the refusal was the NUL).
    body = b'{"finding": "PT-1"}'
    response = client.post(
        f"/hooks/{hook.uuid}/", data=body, content_type="application/json", **_signed(hook, body)
    )
    assert response.status_code == 202


@pytest.mark.parametrize("initial", ["-1", "-5", "-99999999999"])
def test_a_negative_initial_forms_in_the_decision_editor_is_a_400(
    postgres, login, architect, decision, initial
):
    client = login(architect)
    url = f"/decisions/{decision.reference}/edit/"
    data = form_values(client.get(url).content.decode())
    data["title"] = "Changed by a broken form"
    data["options-INITIAL_FORMS"] = initial
    before = db_fingerprint()
    response = client.post(url, data)
    assert response.status_code == 400
    assert "This form is out of date or was altered" in response.content.decode()
    assert Decision.objects.get(pk=decision.pk).title == "Keep tokens in cookies"
    assert db_fingerprint() == before


@pytest.mark.parametrize("method", ["patch", "put"])
def test_moving_a_decision_to_another_log_over_the_api_is_a_400(
    postgres, api, architect, decision, other_log, method
):
    client = api(architect)
    url = f"/api/v1/decisions/{decision.pk}/"
    current = client.get(url).json()
    body = {key: current[key] for key in ("title", "status", "context")}
    body.update(log="PAY", title="Moved")
    before = db_fingerprint()
    response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "log" in json.dumps(response.json())
    fresh = Decision.objects.get(pk=decision.pk)
    assert (fresh.log.key, fresh.title) == ("AUTH", "Keep tokens in cookies")
    assert db_fingerprint() == before


def test_sending_the_decisions_own_log_back_is_accepted(postgres, api, architect, decision):
    client = api(architect)
    url = f"/api/v1/decisions/{decision.pk}/"
    response = client.patch(
        url, data=json.dumps({"log": "AUTH", "title": "Renamed"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert Decision.objects.get(pk=decision.pk).title == "Renamed"


# Found by the form fuzzer (tests/platform/test_form_fuzz.py) once the five were fixed.


def test_a_nul_byte_in_a_revocation_reason_is_a_400(postgres, login, architect, stakeholder):
    from risks.models import RiskAcceptance
    from risks.services import acceptance_create

    acceptance = acceptance_create(
        actor=architect, title="Tokens", risk_statement="XSS", owner=stakeholder
    )
    client = login(architect)
    before = db_fingerprint()
    response = client.post(f"/risks/{acceptance.pk}/revoke/", {"reason": "no\x00"})
    assert response.status_code == 400
    assert RiskAcceptance.objects.get(pk=acceptance.pk).state == acceptance.state
    assert db_fingerprint() == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_a_trigger_date_at_the_ends_of_the_calendar_is_refused_inline(
    postgres, login, architect, decision, day
):
    from triggers.services import trigger_create

    trigger = trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": "2027-01-01"},
        decisions=[decision],
    )
    client = login(architect)
    page = client.get(f"/triggers/{trigger.pk}/edit/").content.decode()
    data = form_values(page)
    data["date"] = day
    before = db_fingerprint()
    response = client.post(f"/triggers/{trigger.pk}/edit/", data)
    assert response.status_code == 400
    assert "between the years 1900 and 2999" in response.content.decode()
    assert Trigger.objects.get(pk=trigger.pk).params["date"] == "2027-01-01"
    assert db_fingerprint() == before

"""Journeys 1, 4, 5, 6 and 7 of PRODUCT.md, with time controlled by time-machine."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.accounts.models import ApiToken
from config.notifications.models import Notification
from triggers.models import Evaluation, FiredEvent, Initiative, Trigger, start_of_day
from triggers.services import initiative_create, trigger_acknowledge, trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def emails(event: str) -> list[str]:
    return sorted(Notification.objects.filter(event=event).values_list("recipient", flat=True))


def test_a_decision_cannot_be_deferred_until_a_trigger_or_revisit_date_exists(
    architect, deferred_decision
):
    from adr import services as adr

    decision = deferred_decision
    options = [
        adr.option_save(actor=architect, decision=decision, title=title, position=i)
        for i, title in enumerate(
            ["HttpOnly cookies + gateway", "localStorage", "BFF proxy", "Defer with mitigations"]
        )
    ]
    criteria = [
        adr.criterion_save(actor=architect, decision=decision, name=name, position=i)
        for i, name in enumerate(["Frontend impact", "Backend impact", "New attack surface"])
    ]
    for criterion in criteria:
        for score, option in enumerate(options, start=1):
            adr.cell_set(actor=architect, criterion=criterion, option=option, text="…", score=score)
    note = adr.sensitivity_note_save(
        actor=architect,
        decision=decision,
        condition="Not on the legacy frontends?",
        consequence="Option 1 becomes the default.",
        favours=options[0],
    )

    with pytest.raises(ValidationError, match="armed trigger or a revisit-by date"):
        adr.decision_change_status(actor=architect, decision=decision, status="deferred")
    trigger_create(
        actor=architect,
        name="Legacy frontend sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=90)).isoformat()},
        sensitivity_note=note,  # watching the note links its decision
    )
    adr.decision_change_status(actor=architect, decision=decision, status="deferred")
    decision.refresh_from_db()
    assert decision.status == "deferred"
    assert [t.name for t in decision.triggers.all()] == ["Legacy frontend sunset"]
    assert [t.name for t in note.triggers.all()] == ["Legacy frontend sunset"]


def test_a_disarmed_trigger_no_longer_backs_a_deferral(architect, deferred_decision):
    from adr.services import deferral_is_backed
    from triggers.services import trigger_disarm

    trigger = trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=9)).isoformat()},
        decisions=[deferred_decision],
    )
    assert deferral_is_backed(deferred_decision)
    trigger_disarm(actor=architect, trigger=trigger, reason="the plan changed")
    assert not deferral_is_backed(deferred_decision)


def test_the_sunset_date_fires_once_emails_everyone_and_an_architect_acknowledges(
    architect, stakeholder, stakeholder2, stakeholder3, auditor, acceptance_and_sunset
):
    acceptance, sunset = acceptance_and_sunset
    sunset.watchers.add(auditor)
    assert acceptance.state == "accepted"
    fire_at = start_of_day(sunset.fire_day)

    with time_machine.travel(fire_at - timedelta(seconds=1), tick=False):
        sweep()
    assert not FiredEvent.objects.exists()

    with time_machine.travel(fire_at + timedelta(minutes=1), tick=False):
        first = sweep()
        second = sweep()
    assert first.fired == 1 and second.fired == 0
    sunset.refresh_from_db()
    acceptance.refresh_from_db()
    decision = sunset.decisions.get()
    assert sunset.state == "fired"
    assert acceptance.state == "triggered"
    assert decision.needs_review and "Legacy frontend sunset" in decision.needs_review_reason
    assert FiredEvent.objects.filter(trigger=sunset).count() == 1
    assert emails("trigger.fired") == sorted(
        u.email for u in (stakeholder, stakeholder2, stakeholder3, auditor)
    )
    mail = Notification.objects.filter(event="trigger.fired").first()
    assert "Legacy frontend sunset" in mail.subject
    assert "/triggers/" in mail.body_text and "triggered" in mail.body_text
    assert decision.reference in mail.body_html

    trigger_acknowledge(actor=architect, trigger=sunset)
    sunset.refresh_from_db()
    assert sunset.state == "acknowledged" and sunset.next_check_at is None
    event = FiredEvent.objects.get(trigger=sunset)
    assert event.acknowledged_by == architect


def test_the_initiative_done_over_the_api_with_a_token_fires_its_trigger(
    client, architect, staff, stakeholder, deferred_decision
):
    rbac = initiative_create(actor=architect, name="RBAC rollout", team="Identity team")
    trigger = trigger_create(
        actor=architect,
        name="RBAC is done",
        kind="initiative",
        initiative=rbac,
        decisions=[deferred_decision],
        watchers=[stakeholder],
    )
    raw = ApiToken.generate()
    ApiToken.objects.create(
        user=staff, name="identity pipeline", digest=ApiToken.hash(raw), hint=raw[:8]
    )

    response = client.patch(
        f"/api/v1/initiatives/{rbac.pk}/",
        data=json.dumps({"status": "done"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    assert FiredEvent.objects.get(trigger=trigger).details["by"] == str(staff)
    assert emails("trigger.fired") == [stakeholder.email]
    rbac.refresh_from_db()
    assert rbac.history.first().history_user == staff


def test_a_stakeholder_token_cannot_mark_an_initiative_done(client, architect, stakeholder):
    rbac = initiative_create(actor=architect, name="RBAC rollout")
    raw = ApiToken.generate()
    ApiToken.objects.create(user=stakeholder, name="x", digest=ApiToken.hash(raw), hint=raw[:8])
    response = client.patch(
        f"/api/v1/initiatives/{rbac.pk}/",
        data=json.dumps({"status": "done"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403
    assert Initiative.objects.get().status == "planned"


def _signed(trigger, body: bytes, ts: int, secret: str | None = None) -> dict:
    secret = secret or trigger.webhook_secret
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_LEDGER_TIMESTAMP": str(ts), "HTTP_X_LEDGER_SIGNATURE": f"sha256={mac}"}


@pytest.fixture
def hook(architect, stakeholder, deferred_decision):
    return trigger_create(
        actor=architect,
        name="Pentest retest found it again",
        kind="webhook",
        decisions=[deferred_decision],
        watchers=[stakeholder],
    )


def test_a_webhook_with_a_valid_hmac_fires_its_trigger(client, hook, stakeholder):
    body = b'{"finding": "PT-2026-014 reopened"}'
    ts = int(timezone.now().timestamp())
    response = client.post(
        f"/hooks/{hook.uuid}/",
        data=body,
        content_type="application/json",
        **_signed(hook, body, ts),
    )
    assert response.status_code == 202, response.content
    assert response.json()["fired"] is True
    hook.refresh_from_db()
    assert hook.state == "fired"
    assert "PT-2026-014" in FiredEvent.objects.get(trigger=hook).details["body"]
    assert emails("trigger.fired") == [stakeholder.email]


def _assert_unchanged(hook):
    hook.refresh_from_db()
    assert hook.state == "armed"
    assert not FiredEvent.objects.exists()
    assert not Evaluation.objects.exists()
    assert not Notification.objects.exists()


def test_a_webhook_with_a_wrong_signature_gets_401_and_changes_nothing(client, hook):
    body = b"{}"
    ts = int(timezone.now().timestamp())
    response = client.post(
        f"/hooks/{hook.uuid}/",
        data=body,
        content_type="application/json",
        **_signed(hook, body, ts, secret="not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    _assert_unchanged(hook)


def test_a_webhook_with_a_stale_timestamp_gets_401_and_changes_nothing(client, hook):
    body = b"{}"
    ts = int(timezone.now().timestamp()) - 3600
    response = client.post(
        f"/hooks/{hook.uuid}/",
        data=body,
        content_type="application/json",
        **_signed(hook, body, ts),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    _assert_unchanged(hook)


def test_a_replayed_webhook_gets_409_and_changes_nothing(client, architect, hook):
    body = b'{"n": 1}'
    ts = int(timezone.now().timestamp())
    headers = _signed(hook, body, ts)
    assert (
        client.post(
            f"/hooks/{hook.uuid}/", data=body, content_type="application/json", **headers
        ).status_code
        == 202
    )
    # Acknowledge and re-arm, so that only the replay guard can refuse the second call.
    from triggers.services import trigger_rearm

    trigger_acknowledge(actor=architect, trigger=hook)
    trigger_rearm(actor=architect, trigger=hook, justification="Watching the retest again.")
    response = client.post(
        f"/hooks/{hook.uuid}/", data=body, content_type="application/json", **headers
    )
    assert response.status_code == 409
    assert response.json()["error"] == "replay"
    hook.refresh_from_db()
    assert hook.state == "armed"
    assert FiredEvent.objects.count() == 1


def test_a_webhook_without_headers_or_for_an_unknown_trigger_is_a_clear_4xx(client, hook):
    response = client.post(f"/hooks/{hook.uuid}/", data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_timestamp"
    response = client.post(
        "/hooks/00000000-0000-0000-0000-000000000000/",
        data=b"{}",
        content_type="application/json",
        **_signed(hook, b"{}", int(timezone.now().timestamp())),
    )
    assert response.status_code == 404
    assert client.get(f"/hooks/{hook.uuid}/").status_code == 405
    _assert_unchanged(hook)


def test_an_acceptance_nearing_expiry_warns_at_each_lead_time_and_expires_on_the_day(
    architect, stakeholder, stakeholder2, stakeholder3, deferred_decision
):
    from tests.triggers.conftest import make_acceptance

    expires = timezone.localdate() + timedelta(days=60)
    acceptance, sunset = make_acceptance(
        architect=architect,
        owner=stakeholder,
        signers=[stakeholder, stakeholder2, stakeholder3],
        decisions=[deferred_decision],
        expires_on=expires,
    )
    from triggers.services import trigger_disarm

    trigger_disarm(actor=architect, trigger=sunset, reason="only the expiry in this test")
    expiry = Trigger.objects.get(risk_acceptance=acceptance, kind="expiry")
    assert expiry.fire_day == expires
    everyone = sorted(u.email for u in (stakeholder, stakeholder2, stakeholder3))

    for days in (30, 7, 1):
        moment = start_of_day(expires - timedelta(days=days)) + timedelta(hours=9)
        with time_machine.travel(moment, tick=False):
            sweep()
            sweep()
        warnings = Notification.objects.filter(event="trigger.warning")
        assert warnings.count() == 3 * [30, 7, 1].index(days) + 3
        assert f"{days} day" in warnings.first().subject
    assert emails("trigger.warning") == sorted(everyone * 3)
    expiry.refresh_from_db()
    assert expiry.state == "warned"

    with time_machine.travel(start_of_day(expires) + timedelta(minutes=2), tick=False):
        sweep()
    acceptance.refresh_from_db()
    expiry.refresh_from_db()
    assert acceptance.state == "expired"
    assert expiry.state == "fired"
    assert emails("trigger.fired") == everyone
    assert "expired" in Notification.objects.filter(event="trigger.fired").first().body_text


def test_a_sweep_down_for_a_day_catches_up_without_overwriting_the_agreed_date(
    architect, stakeholder, deferred_decision
):
    day = timezone.localdate() + timedelta(days=3)
    trigger = trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": day.isoformat(), "lead_days": [30, 7, 1]},
        decisions=[deferred_decision],
        watchers=[stakeholder],
    )
    # Down from before the 1-day warning until a day after the date.
    with time_machine.travel(start_of_day(day) + timedelta(days=1, hours=3), tick=False):
        result = sweep()
    assert result.fired == 1
    trigger.refresh_from_db()
    assert trigger.params["date"] == day.isoformat()
    assert trigger.state == "fired"
    assert emails("trigger.fired") == [stakeholder.email]
    assert not Notification.objects.filter(event="trigger.warning").exists()


def test_when_time_passes_naively_the_instant_is_stored_in_utc(architect):
    trigger = trigger_create(
        actor=architect, name="x", kind="date", params={"date": "2031-06-01", "lead_days": []}
    )
    assert trigger.next_check_at == datetime(2031, 5, 31, 22, 0, tzinfo=UTC)

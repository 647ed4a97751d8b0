"""Trigger and initiative pages: literal URLs, permissions, forms per kind, query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from triggers.models import FiredEvent, Initiative, Trigger
from triggers.services import initiative_create, trigger_create
from triggers.sweep import sweep

pytestmark = pytest.mark.django_db


def _many(architect, decision, n=30):
    rbac = initiative_create(actor=architect, name="RBAC rollout", team="Identity")
    today = timezone.localdate()
    for i in range(n):
        kind = ["date", "webhook", "initiative"][i % 3]
        trigger_create(
            actor=architect,
            name=f"Trigger {i}",
            kind=kind,
            params={"date": (today + timedelta(days=i + 2)).isoformat()} if kind == "date" else {},
            initiative=rbac if kind == "initiative" else None,
            decisions=[decision],
            watchers=[architect],
        )
    return rbac


def _fired(architect, *, name: str, **links) -> Trigger:
    """A date trigger for yesterday, fired by a sweep."""
    trigger = trigger_create(
        actor=architect,
        name=name,
        kind="date",
        params={"date": (timezone.localdate() - timedelta(days=1)).isoformat()},
        **links,
    )
    sweep()
    return trigger


def test_the_trigger_list_filters_and_draws_a_timeline_in_few_queries(
    login, architect, deferred_decision, django_assert_max_num_queries
):
    _many(architect, deferred_decision)
    client = login(architect)
    with django_assert_max_num_queries(12):
        response = client.get("/triggers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'class="timeline"' in html
    assert "style=" not in html
    assert html.count('class="dot kind-date"') == 10
    response = client.get("/triggers/?kind=webhook")
    listed = list(response.context["triggers"])
    assert len(listed) == 10 and {t.kind for t in listed} == {"webhook"}
    for trigger in listed:
        assert f'href="/triggers/{trigger.pk}/"' in response.content.decode()
    assert "Trigger 1<" in response.content.decode()
    assert "Trigger 0<" not in response.content.decode()
    response = client.get("/triggers/?due_within=5")
    names = [t.name for t in response.context["triggers"]]
    assert names == ["Trigger 0", "Trigger 3"]
    assert client.get("/triggers/?state=nonsense&due_within=x").status_code == 200


def test_people_without_a_role_cannot_read_triggers(login, outsider):
    assert login(outsider).get("/triggers/").status_code == 403


def test_the_detail_page_shows_the_evaluation_log_fired_events_and_actions(
    login, architect, stakeholder, deferred_decision, django_assert_max_num_queries
):
    trigger = _fired(
        architect,
        name="Legacy frontend sunset",
        decisions=[deferred_decision],
        watchers=[stakeholder],
    )
    client = login(architect)
    with django_assert_max_num_queries(15):
        response = client.get(f"/triggers/{trigger.pk}/")
    html = response.content.decode()
    assert "Evaluation log" in html and "Fired" in html
    assert 'id="acknowledge"' in html
    assert "needs review" in html
    response = client.post(f"/triggers/{trigger.pk}/acknowledge/")
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.state == "acknowledged"
    assert FiredEvent.objects.get().acknowledged_by == architect
    assert client.get(f"/triggers/{trigger.pk}/history/").status_code == 200


def test_a_stakeholder_cannot_acknowledge_or_disarm(login, architect, stakeholder):
    trigger = _fired(architect, name="x")
    client = login(stakeholder)
    page = client.get(f"/triggers/{trigger.pk}/").content.decode()
    assert 'id="acknowledge"' not in page
    assert client.post(f"/triggers/{trigger.pk}/acknowledge/").status_code == 403
    assert client.post(f"/triggers/{trigger.pk}/disarm/", {"reason": "no"}).status_code == 403
    trigger.refresh_from_db()
    assert trigger.state == "fired"


def test_disarm_needs_a_reason_and_rearm_a_new_justification(login, architect):
    trigger = trigger_create(
        actor=architect,
        name="x",
        kind="date",
        params={"date": (timezone.localdate() + timedelta(days=10)).isoformat()},
        justification="Legacy frontends die in spring.",
    )
    client = login(architect)
    assert client.post(f"/triggers/{trigger.pk}/disarm/", {"reason": ""}).status_code == 400
    client.post(f"/triggers/{trigger.pk}/disarm/", {"reason": "The plan changed."})
    trigger.refresh_from_db()
    assert trigger.state == "disarmed"
    client.post(
        f"/triggers/{trigger.pk}/rearm/", {"justification": "Legacy frontends die in spring."}
    )
    trigger.refresh_from_db()
    assert trigger.state == "disarmed"  # the same justification is not a fresh deferral
    new_day = (timezone.localdate() + timedelta(days=40)).isoformat()
    client.post(
        f"/triggers/{trigger.pk}/rearm/",
        {"justification": "Sunset moved to summer, agreed with product.", "date": new_day},
    )
    trigger.refresh_from_db()
    assert (trigger.state, trigger.generation, trigger.params["date"]) == ("armed", 2, new_day)
    reasons = list(trigger.history.values_list("history_change_reason", flat=True))
    assert "re-armed with a new justification" in reasons
    assert trigger.history.filter(justification="Legacy frontends die in spring.").exists()


def test_the_form_per_kind_validates_its_parameters(login, architect, settings, deferred_decision):
    settings.LEDGER_METRIC_ALLOWED_HOSTS = ["metrics.example.com"]
    client = login(architect)
    page = client.get("/triggers/new/?kind=metric").content.decode()
    # Every kind's panel is in the page (tabs switch in place); the metric one is shown.
    assert 'id="kind-panel-metric" role="tabpanel" aria-labelledby="kind-tab-metric">' in page
    assert 'id="kind-panel-date" role="tabpanel" aria-labelledby="kind-tab-date" hidden>' in page
    response = client.post(
        "/triggers/new/?kind=metric",
        {
            "kind": "metric",
            "name": "Usage",
            "url": "https://evil.example.net/usage.json",
            "path": "a.b",
            "op": "<",
            "threshold": "50",
        },
    )
    assert response.status_code == 400
    assert "not on the metric allow-list" in response.content.decode()
    assert not Trigger.objects.exists()
    response = client.post(
        "/triggers/new/", {"kind": "date", "name": "Sunset", "date": "", "lead_days": "30, 7"}
    )
    assert response.status_code == 400 and "needs its date" in response.content.decode()
    response = client.post(
        "/triggers/new/",
        {
            "kind": "date",
            "name": "Sunset",
            "date": "2031-03-31",
            "lead_days": "30, 7",
            "decisions": [deferred_decision.pk],
        },
    )
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert trigger.params == {"date": "2031-03-31", "lead_days": [30, 7]}
    assert list(deferred_decision.triggers.all()) == [trigger]


def test_a_new_trigger_keeps_other_kinds_input_and_checks_only_its_own(
    login, architect, settings, deferred_decision
):
    client = login(architect)
    response = client.post(
        "/triggers/new/?kind=date",
        {"kind": "date", "name": "Sunset", "date": "", "url": "not a url", "threshold": "x"},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "needs its date" in body
    # The metric panel's input comes back as typed, and is not what was refused.
    assert 'value="not a url"' in body and "Enter a valid URL" not in body
    response = client.post(
        "/triggers/new/?kind=date",
        {"kind": "date", "name": "Sunset", "date": "2031-03-31", "url": "not a url"},
    )
    assert response.status_code == 302
    trigger = Trigger.objects.get(name="Sunset")
    assert (trigger.kind, trigger.params["date"]) == ("date", "2031-03-31")
    assert "url" not in trigger.params


def test_only_architects_see_the_trigger_form(login, stakeholder):
    assert login(stakeholder).get("/triggers/new/").status_code == 403


def test_an_architect_marks_an_initiative_done_in_the_ui_and_its_trigger_fires(
    login, architect, stakeholder, deferred_decision
):
    rbac = initiative_create(actor=architect, name="RBAC rollout", team="Identity")
    trigger = trigger_create(
        actor=architect,
        name="RBAC done",
        kind="initiative",
        initiative=rbac,
        watchers=[stakeholder],
    )
    client = login(architect)
    assert "RBAC done" in client.get(f"/triggers/initiatives/{rbac.pk}/").content.decode()
    assert "RBAC rollout" in client.get("/triggers/initiatives/").content.decode()
    assert (
        login(stakeholder)
        .post(f"/triggers/initiatives/{rbac.pk}/status/", {"status": "done"})
        .status_code
        == 403
    )
    client = login(architect)
    response = client.post(f"/triggers/initiatives/{rbac.pk}/status/", {"status": "done"})
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.state == "fired"
    assert Initiative.objects.get().status == "done"


def test_an_architect_adds_an_initiative(login, architect):
    client = login(architect)
    response = client.post("/triggers/initiatives/new/", {"name": "RBAC", "team": "Identity"})
    assert response.status_code == 302
    assert Initiative.objects.get().team == "Identity"


def test_the_api_lists_triggers_and_acknowledges_a_fired_one(login, architect, stakeholder):
    trigger = _fired(architect, name="x")
    client = login(stakeholder)
    listing = client.get("/api/v1/triggers/").json()
    assert listing["results"][0]["state"] == "fired"
    event_id = client.get("/api/v1/fired-events/").json()["results"][0]["id"]
    assert client.post(f"/api/v1/fired-events/{event_id}/acknowledge/").status_code == 403
    client = login(architect)
    response = client.post(
        f"/api/v1/triggers/{trigger.pk}/acknowledge/",
        data=json.dumps({"note": "on it"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    response = client.post(f"/api/v1/triggers/{trigger.pk}/acknowledge/")
    assert response.status_code == 400


def test_the_demo_endpoint_serves_json_only_in_demo_mode(client, settings):
    settings.LEDGER_DEMO_MODE = True
    data = client.get("/demo/legacy-frontend-usage.json").json()
    # Above the demo trigger's threshold (< 50): a fresh demo does not fire by itself.
    assert data["legacy_frontend"]["daily_users"] >= 50
    settings.LEDGER_DEMO_MODE = False
    assert client.get("/demo/legacy-frontend-usage.json").status_code == 404


def test_an_architect_edits_a_live_date_trigger_and_its_watchers(login, architect, stakeholder):
    trigger = trigger_create(
        actor=architect,
        name="Sunset",
        kind="date",
        params={"date": "2031-03-31", "lead_days": [30]},
    )
    client = login(architect)
    page = client.get(f"/triggers/{trigger.pk}/edit/").content.decode()
    assert 'value="2031-03-31"' in page and 'value="30"' in page
    response = client.post(
        f"/triggers/{trigger.pk}/edit/",
        {
            "name": "Legacy sunset",
            "date": "2031-04-30",
            "lead_days": "7",
            "watchers": [stakeholder.pk],
        },
    )
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.name == "Legacy sunset"
    assert trigger.params == {"date": "2031-04-30", "lead_days": [7]}
    assert list(trigger.watchers.all()) == [stakeholder]
    assert login(stakeholder).get(f"/triggers/{trigger.pk}/edit/").status_code == 403


def test_the_escalation_address_is_set_in_the_form_and_survives_an_edit(login, architect):
    trigger = trigger_create(
        actor=architect, name="Sunset", kind="date", params={"date": "2031-03-31"}
    )
    client = login(architect)
    form = {"name": "Sunset", "date": "2031-03-31", "lead_days": "30"}
    response = client.post(
        f"/triggers/{trigger.pk}/edit/", {**form, "escalation_email": "CTO@Example.test"}
    )
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.escalation_email == "cto@example.test"
    page = client.get(f"/triggers/{trigger.pk}/edit/").content.decode()
    assert 'value="cto@example.test"' in page


def test_a_trigger_on_an_initiative_that_is_already_done_fires_on_the_next_sweep(
    architect, staff, stakeholder
):
    from triggers.services import initiative_set_status

    rbac = initiative_create(actor=architect, name="RBAC rollout")
    initiative_set_status(actor=staff, initiative=rbac, status="done")
    trigger = trigger_create(
        actor=architect,
        name="RBAC done",
        kind="initiative",
        initiative=rbac,
        watchers=[stakeholder],
    )
    assert trigger.next_check_at is not None
    assert sweep().fired == 1
    trigger.refresh_from_db()
    assert trigger.state == "fired"


def test_the_initiative_api_refuses_bad_input_and_anonymous_callers(client, login, architect):
    rbac = initiative_create(actor=architect, name="RBAC rollout")
    url = f"/api/v1/initiatives/{rbac.pk}/"
    response = client.patch(url, data='{"status": "done"}', content_type="application/json")
    assert response.status_code in (401, 403)
    client = login(architect)
    response = client.patch(url, data='{"status": "finished"}', content_type="application/json")
    assert response.status_code == 400
    assert client.get("/api/v1/initiatives/").json()["results"][0]["status"] == "planned"
    assert client.put(url, data="{}", content_type="application/json").status_code == 405


def test_adding_a_trigger_from_an_acceptance_preselects_it_and_its_decisions(
    login, architect, stakeholder, stakeholder2, stakeholder3, acceptance_and_sunset
):
    acceptance, _ = acceptance_and_sunset
    response = login(architect).get(f"/triggers/new/?kind=webhook&acceptance={acceptance.pk}")
    form = response.context["form"]
    assert form.initial["risk_acceptance"] == acceptance.pk
    assert form.initial["decisions"] == [d.pk for d in acceptance.decisions.all()]

"""The admin covers every model; history is visible there but read-only.

That nothing in the admin adds, changes or deletes a ledger row is tested for every
registered model in tests/platform/test_admin_read_only.py."""

import pytest
from django.apps import apps
from django.contrib import admin

from adr.services import decision_update

from .conftest import build_decision

pytestmark = pytest.mark.django_db


def test_every_ledger_model_is_in_the_admin_and_no_historical_model_is():
    for label in ("adr", "risks", "triggers", "accounts", "notifications"):
        for model in apps.get_app_config(label).get_models():
            name = model.__name__
            if name.startswith("Historical"):
                assert model not in admin.site._registry, name
            else:
                assert model in admin.site._registry, name


def test_staff_browse_every_admin_page_of_the_decision_log(staff, architect, log, login):
    d = build_decision(architect, log)
    client = login(staff)
    for name in ("decisionlog", "decision", "option", "criterion", "matrixcell", "tag"):
        assert client.get(f"/admin/adr/{name}/").status_code == 200, name
    assert client.get(f"/admin/adr/decision/{d.pk}/change/").status_code == 200
    assert client.get(f"/admin/adr/decision/{d.pk}/history/").status_code == 200
    for path in (
        "/admin/accounts/user/",
        "/admin/accounts/apitoken/",
        "/admin/notifications/notification/",
    ):
        assert client.get(path).status_code == 200, path


def test_history_cannot_be_reverted_from_the_admin(staff, architect, log, login):
    d = build_decision(architect, log, title="Original")
    decision_update(actor=architect, decision=d, title="Changed")
    first = d.history.earliest()
    client = login(staff)
    url = f"/admin/adr/decision/{d.pk}/history/{first.history_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Revert" not in page.content.decode()
    response = client.post(url, {"title": "Original", "log": log.pk})
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.title == "Changed"


def test_the_outbox_is_read_only_in_the_admin(staff, login):
    from config.notifications.models import Notification

    n = Notification.objects.create(
        recipient="a@example.test", event="x", dedupe_key="k", subject="s", body_text="b"
    )
    client = login(staff)
    assert client.get("/admin/notifications/notification/add/").status_code == 403
    response = client.post(
        f"/admin/notifications/notification/{n.pk}/change/", {"recipient": "evil@example.test"}
    )
    assert response.status_code == 403
    n.refresh_from_db()
    assert n.recipient == "a@example.test"

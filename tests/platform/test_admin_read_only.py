"""The admin is read-only for every ledger model (config.admin): no add, change or delete.

The models are enumerated from the admin's registry, not listed by hand, so a model
registered tomorrow is checked too; only user and role management stays writable.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import timezone

from config.accounts.models import ApiToken, User
from tests.platform.ledger import AUDIT_MODELS, build_ledger

pytestmark = pytest.mark.django_db

# Our own apps: every app whose code lives in this repository (third-party admins such
# as django-axes' lockout records are theirs to manage).
ROOT = str(Path(__file__).resolve().parents[2])
# Managed in the admin on purpose: accounts and roles (deleting a user is still refused).
WRITABLE = {User, Group}


def _ours(path: str) -> bool:
    return path.startswith(ROOT) and "site-packages" not in path


def ledger_admins() -> list[tuple[type, admin.ModelAdmin]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model not in WRITABLE and _ours(apps.get_app_config(model._meta.app_label).path)
    ]


def admin_url(model, action: str, pk=None) -> str:
    meta = model._meta
    base = f"/admin/{meta.app_label}/{meta.model_name}/"
    return f"{base}{pk}/{action}/" if pk is not None else f"{base}{action}/"


def snapshot(obj) -> dict:
    return type(obj)._base_manager.filter(pk=obj.pk).values().get()


def tampered(obj) -> dict:
    """What a hostile change form would post: every text field changed, the rest as is."""
    data = {}
    for field in type(obj)._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(value, str):
            value = f"{value}!tampered"
        elif isinstance(value, bool):
            value = "" if value else "on"
        elif value is None:
            value = ""
        data[field.name] = value
    return data


@pytest.fixture
def ledger(architect, stakeholder, stakeholder2, auditor, log):
    return build_ledger(
        architect=architect, signers=[stakeholder, stakeholder2], log=log, watcher=auditor
    )


def test_the_registry_covers_the_ledger_and_its_audit_rows():
    labels = {m._meta.label for m, _ in ledger_admins()}
    for app in ("adr", "risks", "triggers", "notifications"):
        assert any(label.startswith(f"{app}.") for label in labels), app
    assert set(AUDIT_MODELS) <= labels
    assert not any(m.__name__.startswith("Historical") for m in admin.site._registry)


def test_no_ledger_model_can_be_added_changed_or_deleted_in_the_admin(ledger, staff, login):
    client = login(staff)  # a superuser: only the admins' own refusals stop them
    request = RequestFactory().get("/admin/")
    request.user = staff
    checked = []
    for model, model_admin in ledger_admins():
        label = model._meta.label
        obj = model._base_manager.order_by("pk").first()
        assert obj is not None, f"tests/platform/ledger.py makes no {label}: add one"
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request, obj), label
        assert not model_admin.has_delete_permission(request, obj), label
        assert "delete_selected" not in model_admin.get_actions(request), label
        for inline in model_admin.get_inline_instances(request, obj):
            assert not inline.has_add_permission(request, obj), (label, inline)
            assert not inline.has_change_permission(request, obj), (label, inline)
            assert not inline.has_delete_permission(request, obj), (label, inline)

        before, count = snapshot(obj), model._base_manager.count()
        assert client.get(admin_url(model, "add")).status_code == 403, label
        add = client.post(admin_url(model, "add"), tampered(obj))
        assert add.status_code == 403, label
        change = client.post(admin_url(model, "change", obj.pk), tampered(obj))
        assert change.status_code == 403, label
        delete = client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})
        assert delete.status_code == 403, label
        client.post(
            admin_url(model, ""),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert snapshot(obj) == before, label
        assert model._base_manager.count() == count, label
        # Reading stays: the change page shows the row, the history page its history.
        assert client.get(admin_url(model, "change", obj.pk)).status_code == 200, label
        assert client.get(admin_url(model, "history", obj.pk)).status_code == 200, label
        checked.append(label)
    assert len(checked) >= 20, checked


def test_the_admin_cannot_add_a_decision_or_clear_a_deferred_revisit_date(
    staff, architect, log, login
):
    """The two bypasses the issue found: a 500 on adding, a deferral left without backing."""
    from adr.models import Decision
    from adr.services import decision_create

    revisit = timezone.localdate() + timedelta(days=90)
    deferred = decision_create(
        actor=architect, log=log, title="Later", status="deferred", revisit_by=revisit
    )
    client = login(staff)
    added = client.post(
        "/admin/adr/decision/add/", {"log": log.pk, "number": 1, "title": "Dup", "status": "x"}
    )
    assert added.status_code == 403
    assert Decision.objects.count() == 1
    cleared = client.post(
        f"/admin/adr/decision/{deferred.pk}/change/",
        {"title": deferred.title, "status": "deferred", "revisit_by": ""},
    )
    assert cleared.status_code == 403
    deferred.refresh_from_db()
    assert deferred.revisit_by == revisit


def test_users_are_managed_in_the_admin_but_never_deleted(staff, stakeholder, login):
    client = login(staff)
    assert client.get("/admin/accounts/user/add/").status_code == 200
    assert client.get("/admin/auth/group/add/").status_code == 200
    page = client.get(f"/admin/accounts/user/{stakeholder.pk}/change/")
    assert page.status_code == 200
    assert (
        client.post(f"/admin/accounts/user/{stakeholder.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [stakeholder.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=stakeholder.pk).exists()


def test_staff_revoke_a_token_in_the_admin_through_the_service(staff, architect, login):
    from config.accounts.services import api_token_create

    token, _ = api_token_create(user=architect, name="ci")
    client = login(staff)
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    last = token.history.order_by("-history_id").first()
    assert last.history_change_reason == "API token revoked" and last.history_user == staff
    assert ApiToken.objects.count() == 1

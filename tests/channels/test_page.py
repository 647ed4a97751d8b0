"""The log's channels page: architects and staff add, test and disable channels; URLs
are refused with the guard's reason; the signing secret is shown once."""

from __future__ import annotations

import pytest

from tests.channels.conftest import loopback_settings
from tests.support.http_receiver import Receiver
from triggers.channels.models import Channel

pytestmark = pytest.mark.django_db

PAGE = "/channels/AUTH/"


def _post(client, url, kind="slack", name="Team chat", **extra):
    return client.post(PAGE, {"name": name, "kind": kind, "url": url, **extra})


def test_a_private_address_is_refused_in_the_form_with_the_reason(login, architect, log, settings):
    settings.LEDGER_CHANNEL_ALLOWED_HOSTS = ["10.1.2.3", "127.0.0.1"]
    settings.LEDGER_CHANNEL_PRIVATE_HOSTS = []
    client = login(architect)

    for url, address in (
        ("http://10.1.2.3/hook", "10.1.2.3"),
        ("http://127.0.0.1:9/x", "127.0.0.1"),
    ):
        response = _post(client, url)
        assert response.status_code == 422
        assert f"{address} resolves to {address}, a private, loopback" in response.content.decode()
    response = _post(client, "https://chat.example.com/hook")
    assert "not on the channel allow-list" in response.content.decode()
    assert not Channel.objects.exists()


def test_a_redirect_to_a_private_address_is_refused_in_the_form(login, architect, log, settings):
    loopback_settings(settings)
    settings.LEDGER_CHANNEL_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    with Receiver() as peer:
        sneaky = peer.url(f"/redirect?http://localhost:{peer.port}/hook")
        response = _post(login(architect), sneaky)
        followed = [r.path for r in peer.requests]

    assert response.status_code == 422
    assert "localhost resolves to" in response.content.decode()
    assert followed == [f"/redirect?http://localhost:{peer.port}/hook"]  # never reached /hook
    assert not Channel.objects.exists()


def test_the_signing_secret_is_shown_once_and_kept_out_of_history(login, architect, log, receiver):
    client = login(architect)

    response = _post(client, receiver.url("/json"), kind="json", name="Ops bus")

    assert response.status_code == 200
    channel = Channel.objects.get()
    assert channel.secret and channel.secret in response.content.decode()
    assert receiver.requests[0].method == "GET"  # the reachability check, nothing posted
    assert channel.secret not in client.get(PAGE).content.decode()
    historical = channel.history.get()
    assert not hasattr(historical, "secret")


def test_test_and_disable_from_the_page(login, architect, log, receiver):
    client = login(architect)
    _post(client, receiver.url("/teams"), kind="teams", name="Teams")
    channel = Channel.objects.get()

    response = client.post(f"{PAGE}{channel.pk}/test/", follow=True)
    assert "Test of “Teams” sent. The endpoint answered HTTP 200." in response.content.decode()
    assert len(receiver.posts("/teams")) == 1
    client.post(f"{PAGE}{channel.pk}/active/", {"active": "0", "version": channel.version})
    channel.refresh_from_db()
    assert channel.active is False
    assert channel.history.first().history_change_reason == "disabled"
    receiver.always_fail.add("/teams")
    channel.active = True
    channel.save(update_fields=["active"])
    response = client.post(f"{PAGE}{channel.pk}/test/", follow=True)
    assert "Test of “Teams” failed: The endpoint answered HTTP 500." in response.content.decode()


def test_only_architects_and_staff_reach_the_page(login, log, stakeholder, auditor, staff):
    assert login(stakeholder).get(PAGE).status_code == 403
    assert login(auditor).get(PAGE).status_code == 403
    assert login(staff).get(PAGE).status_code == 200
    assert login(staff).get("/channels/NOPE/").status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_the_page_runs_a_fixed_number_of_queries(
    count, login, architect, log, decision, django_assert_max_num_queries
):
    from tests.channels.conftest import due_trigger

    trigger = due_trigger(architect=architect, decisions=[decision])
    for i in range(count):
        Channel.objects.create(
            log=log,
            trigger=trigger if i % 2 else None,
            kind="slack",
            name=f"c{i}",
            url="https://hooks.slack.com/services/x",
            created_by=architect,
        )
    client = login(architect)
    with django_assert_max_num_queries(7):
        response = client.get(PAGE)
    assert response.content.decode().count("<code>https://hooks.slack.com/…</code>") == count


def test_the_log_page_links_architects_to_its_channels(login, architect, stakeholder, log):
    link = 'href="/channels/AUTH/"'
    assert link in login(architect).get("/decisions/logs/AUTH/").content.decode()
    assert link not in login(stakeholder).get("/decisions/logs/AUTH/").content.decode()

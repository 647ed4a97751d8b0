"""Login throttling (django-axes on username + IP), the login wall, and cookie flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.platform.csp import assert_csp

LOGIN = "/accounts/login/"
IP_A, IP_B = "203.0.113.10", "198.51.100.20"


def _client(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def _attempt(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_username_and_ip_pair_but_not_the_user_elsewhere(
    db, architect, stakeholder
):
    attacker = _client(IP_A)
    for _ in range(5):
        response = _attempt(attacker, "alice", "wrong-password")
        assert not _logged_in(attacker)
    assert response.status_code in (403, 429)

    # The right password from the locked address is refused too, on a page with CSP.
    locked = _attempt(attacker, "alice", PASSWORD)
    assert locked.status_code in (403, 429)
    assert b"Too many failed attempts" in locked.content
    assert_csp(locked, "lockout page")
    assert not _logged_in(attacker)

    # The real user, elsewhere, is not locked out.
    elsewhere = _client(IP_B)
    response = _attempt(elsewhere, "alice", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(elsewhere)

    # Another user on the attacker's address is not locked out either.
    neighbour = _client(IP_A)
    response = _attempt(neighbour, "sam", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(neighbour)

    # The success elsewhere did not unlock the attacked pair.
    assert _attempt(_client(IP_A), "alice", PASSWORD).status_code in (403, 429)


def test_four_failures_do_not_lock(db, architect):
    client = _client(IP_A)
    for _ in range(4):
        assert _attempt(client, "alice", "wrong-password").status_code == 200
    assert _attempt(client, "alice", PASSWORD).status_code == 302


def test_the_lock_cools_off(db, architect):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            _attempt(_client(IP_A), "alice", "wrong-password")
        assert _attempt(_client(IP_A), "alice", PASSWORD).status_code in (403, 429)
        traveller.shift(timedelta(minutes=16))
        client = _client(IP_A)
        assert _attempt(client, "alice", PASSWORD).status_code == 302
        assert _logged_in(client)


def test_a_failed_login_shows_an_inline_error_not_which_part_was_wrong(db, architect):
    response = _attempt(_client(IP_A), "alice", "wrong-password")
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert b"aria-invalid" in response.content
    assert_csp(response, "failed login")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/decisions/",
        "/decisions/logs/",
        "/decisions/AUTH-1/",
        "/risks/",
        "/triggers/",
        "/outbox/",
        "/accounts/profile/",
        "/admin/",
        "/admin/adr/decision/",
        "/no-such-page/",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(db, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    assert_csp(response, url)


def test_the_login_page_is_the_one_page_anonymous_visitors_see(db, client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="password"' in response.content
    # Nothing from inside the app leaks into the layout for anonymous visitors.
    assert b"/decisions/" not in response.content
    assert b"Log out" not in response.content


def test_session_and_csrf_cookies_are_httponly_and_samesite(db, architect):
    client = _client(IP_A)
    csrf = client.get(LOGIN).cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    response = _attempt(client, "alice", PASSWORD)
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    # Not Secure under test settings (plain http); production sets both to Secure,
    # see test_settings_and_checks.py.
    assert csrf["secure"] == "" and session["secure"] == ""


def test_logging_out_needs_a_post(db, client, architect):
    client.force_login(architect)
    assert client.get("/accounts/logout/").status_code == 405
    assert _logged_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not _logged_in(client)

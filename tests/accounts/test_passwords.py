"""Password reset by email and self-service password change.

Reset: a signed, expiring, single-use link; the same answer for any address; throttled
per address (same answer, no email) and per client (429). Both pages use Django's
validators with a 12-character minimum, and carry the strict CSP.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.platform.csp import assert_csp

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"
SENT = "/accounts/password-reset/sent/"
CHANGE = "/accounts/password/"
NEW = "a-new-and-long-passphrase"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password-reset/[^/\s]+/[^/\s]+/)")


def _ask(client: Client, email: str):
    return client.post(RESET, {"email": email})


def _link() -> str:
    (message,) = mail.outbox
    (path,) = set(LINK.findall(message.body))
    html = message.alternatives[0][0]
    assert path in html
    return path


def _set_password(client: Client, path: str, password: str = NEW):
    """Follow the emailed link as a browser does, then post the new password."""
    response = client.get(path)
    if response.status_code != 302:
        return response
    form_url = response["Location"]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def _can_log_in(username: str, password: str) -> bool:
    client = Client(REMOTE_ADDR="192.0.2.50")
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_a_valid_reset_link_sets_a_new_password(architect):
    client = Client()
    response = _ask(client, "ALICE@example.test")  # any case
    assert response.status_code == 302 and response["Location"] == SENT
    (message,) = mail.outbox
    assert message.to == [architect.email]
    assert message.subject == "Reset your Decision Ledger password"
    path = _link()
    assert path.startswith("/accounts/password-reset/")
    assert settings.SITE_URL.rstrip("/") + path in message.body

    response = _set_password(client, path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/complete/"
    assert _can_log_in("alice", NEW)
    assert not _can_log_in("alice", PASSWORD)
    assert architect.history.filter(history_change_reason="password reset by email").exists()


def test_a_used_link_does_not_work_again(architect):
    client = Client()
    _ask(client, architect.email)
    path = _link()
    assert _set_password(client, path).status_code == 302
    # The same link, in a fresh browser: refused, and the password stays.
    again = Client()
    response = again.get(path)
    if response.status_code == 302:
        response = again.get(response["Location"])
    assert response.status_code == 200
    assert b"This link does not work" in response.content
    assert b'name="new_password1"' not in response.content
    assert_csp(response, "used reset link")
    assert _set_password(Client(), path, "yet-another-passphrase-9").status_code == 200
    assert _can_log_in("alice", NEW)


def test_an_expired_link_does_not_work(architect):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        _ask(client, architect.email)
        path = _link()
        traveller.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
        response = _set_password(client, path)
        assert response.status_code == 200
        assert b"This link does not work" in response.content
    assert _can_log_in("alice", PASSWORD)


def test_a_tampered_link_does_not_work(architect):
    client = Client()
    _ask(client, architect.email)
    path = _link()
    uid, token = path.rstrip("/").split("/")[-2:]
    forged = f"/accounts/password-reset/{uid}/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}/"
    response = _set_password(client, forged)
    assert response.status_code == 200 and b"This link does not work" in response.content
    assert _can_log_in("alice", PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_email(architect):
    known = _ask(Client(), architect.email)
    mail.outbox.clear()
    unknown = _ask(Client(), "nobody@example.test")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []
    page = Client().get(SENT)
    assert page.status_code == 200 and b"If an account has that address" in page.content
    assert_csp(page, "reset sent")


def test_reset_emails_are_throttled_per_address_without_telling(architect):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(settings.LEDGER_PASSWORD_RESET_PER_ADDRESS):
        assert _ask(client, architect.email)["Location"] == SENT
    assert len(mail.outbox) == settings.LEDGER_PASSWORD_RESET_PER_ADDRESS
    # From another client too: the same answer, but no further email.
    response = _ask(Client(REMOTE_ADDR="192.0.2.11"), architect.email)
    assert response.status_code == 302 and response["Location"] == SENT
    assert len(mail.outbox) == settings.LEDGER_PASSWORD_RESET_PER_ADDRESS


def test_reset_requests_are_throttled_per_client(architect, stakeholder):
    client = Client(REMOTE_ADDR="192.0.2.20")
    for i in range(settings.LEDGER_PASSWORD_RESET_PER_CLIENT):
        assert _ask(client, f"someone{i}@example.test").status_code == 302
    response = _ask(client, stakeholder.email)
    assert response.status_code == 429
    assert b"Too many reset requests" in response.content
    assert mail.outbox == []
    # Another client is not affected.
    assert _ask(Client(REMOTE_ADDR="192.0.2.21"), stakeholder.email).status_code == 302
    assert [m.to for m in mail.outbox] == [[stakeholder.email]]


def test_the_throttle_forgets_after_its_window(architect):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(settings.LEDGER_PASSWORD_RESET_PER_ADDRESS + 1):
            _ask(Client(), architect.email)
        assert len(mail.outbox) == settings.LEDGER_PASSWORD_RESET_PER_ADDRESS
        traveller.shift(timedelta(seconds=settings.LEDGER_PASSWORD_RESET_WINDOW_SECONDS + 1))
        _ask(Client(), architect.email)
        assert len(mail.outbox) == settings.LEDGER_PASSWORD_RESET_PER_ADDRESS + 1


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-pw-11", "at least 12 characters"),
        ("123456789012345", "entirely numeric"),
        ("1qaz2wsx3edc", "too common"),
    ],
)
def test_a_reset_password_must_pass_the_validators(architect, password, message):
    client = Client()
    _ask(client, architect.email)
    response = _set_password(client, _link(), password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _can_log_in("alice", PASSWORD)


def test_the_reset_pages_are_open_to_anonymous_visitors_and_carry_the_csp():
    for url in (RESET, SENT, "/accounts/password-reset/complete/"):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert_csp(response, url)


def test_the_login_page_links_to_the_reset_and_the_profile_to_the_change(login, architect):
    assert RESET.encode() in Client().get("/accounts/login/").content
    assert CHANGE.encode() in login(architect).get("/accounts/profile/").content


def test_a_user_changes_their_password_and_stays_logged_in(login, architect):
    client = login(architect)
    page = client.get(CHANGE)
    assert page.status_code == 200 and b'name="old_password"' in page.content
    assert_csp(page, "password change")
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/changed/"
    assert client.get("/accounts/profile/").status_code == 200  # session kept
    assert _can_log_in("alice", NEW) and not _can_log_in("alice", PASSWORD)
    assert architect.history.filter(history_change_reason="password changed").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, "incorrect"),
        (
            {
                "old_password": PASSWORD,
                "new_password1": "short-pw-11",
                "new_password2": "short-pw-11",
            },
            "at least 12 characters",
        ),
        (
            {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"},
            "didn’t match",
        ),
    ],
)
def test_a_password_change_is_refused_inline(login, architect, data, message):
    response = login(architect).post(CHANGE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _can_log_in("alice", PASSWORD)


def test_anonymous_visitors_cannot_reach_the_change_page(client):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_concurrent_reset_requests_never_exceed_the_limit():
    """Two requests for one address at once, held at the table until both wait: at most
    one of them may still send (the limit is one away)."""
    import threading

    from django.db import connection, connections, transaction

    from config.accounts import services
    from tests.conftest import require_postgres

    require_postgres()
    email = "race@example.test"
    for _ in range(settings.LEDGER_PASSWORD_RESET_PER_ADDRESS - 1):
        assert services.password_reset_request_allowed(email=email, ip_address=None).value == "send"
    verdicts = []

    def request():
        try:
            verdicts.append(services.password_reset_request_allowed(email=email, ip_address=None))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    waiting_query = (
        "SELECT count(*) FROM pg_locks WHERE NOT granted "
        "AND relation = 'accounts_passwordresetrequest'::regclass"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE accounts_passwordresetrequest IN SHARE MODE")
        for thread in threads:
            thread.start()
        deadline = timezone.now() + timedelta(seconds=30)
        waiting = 0
        while waiting < 2 and timezone.now() < deadline:
            cursor.execute(waiting_query)
            waiting = cursor.fetchone()[0]
        assert waiting == 2, "both requests must be held at the table together"
    for thread in threads:
        thread.join(timeout=30)
    assert len(verdicts) == 2
    assert [v.value for v in verdicts].count("send") <= 1, verdicts

"""Login throttling behind a reverse proxy: the lock is on (username, real client address).

X-Forwarded-For is believed only from LEDGER_TRUSTED_PROXIES; from anyone else it is
ignored, so a client cannot pick the address it is throttled under.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings

from config.accounts.client_ip import client_ip
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
PROXY = "10.0.0.5"
ATTACKER, REAL_USER = "203.0.113.10", "198.51.100.20"

behind_the_proxy = override_settings(LEDGER_TRUSTED_PROXIES=[PROXY, "10.1.0.0/16"])


def _via_proxy(forwarded_for: str, proxy: str = PROXY) -> Client:
    return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)


def _attempt(client: Client, password: str):
    return client.post(LOGIN, {"username": "alice", "password": password})


def _lock_out_from(client: Client) -> None:
    for _ in range(5):
        assert _attempt(client, "wrong-password").status_code in (200, 403, 429)
    assert _attempt(client, PASSWORD).status_code in (403, 429)


@behind_the_proxy
def test_an_attacker_behind_the_proxy_cannot_lock_out_the_real_user(db, architect):
    _lock_out_from(_via_proxy(ATTACKER))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}

    real = _via_proxy(REAL_USER)
    assert _attempt(real, PASSWORD).status_code == 302
    assert "_auth_user_id" in real.session

    # The attacker forging the header in front of the proxy (which appends the address
    # it saw) is still throttled under its own address.
    forged = _via_proxy(f"{REAL_USER}, {ATTACKER}")
    assert _attempt(forged, PASSWORD).status_code in (403, 429)


def test_without_trusted_proxies_everyone_behind_the_proxy_shares_one_lock(db, architect):
    """The failure the setting exists for: the proxy's address is every client's."""
    _lock_out_from(_via_proxy(ATTACKER))
    assert _attempt(_via_proxy(REAL_USER), PASSWORD).status_code in (403, 429)


@behind_the_proxy
def test_a_client_not_coming_from_a_trusted_proxy_cannot_spoof_its_address(db, architect):
    direct_attacker = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=REAL_USER)
    _lock_out_from(direct_attacker)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # A fresh forged header does not buy the attacker a fresh address…
    assert (
        _attempt(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99"), PASSWORD)
    ).status_code in (403, 429)
    # …and the address it claimed is not locked.
    assert _attempt(_via_proxy(REAL_USER), PASSWORD).status_code == 302


@behind_the_proxy
@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        (PROXY, "", PROXY),  # the proxy's own request
        (PROXY, ATTACKER, ATTACKER),
        (PROXY, f"{REAL_USER}, {ATTACKER}", ATTACKER),  # forged left part ignored
        (PROXY, f"{ATTACKER}, 10.1.2.3", ATTACKER),  # two trusted proxies in a row
        (PROXY, f"{REAL_USER}, not-an-address", PROXY),  # garbage from the proxy: stop
        (PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (PROXY, f"{ATTACKER}:51234", ATTACKER),
        (ATTACKER, REAL_USER, ATTACKER),  # untrusted peer: header ignored
        ("::ffff:10.0.0.5", ATTACKER, ATTACKER),  # IPv4-mapped proxy address
        ("", ATTACKER, None),
    ],
)
def test_client_ip_reads_the_header_only_from_trusted_proxies(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected

"""One base of test personas, shared by every test module (as healthchecks' hc/test.py).

Personas: an architect, three stakeholders, an auditor, an outsider with no role,
and a staff member. Tests that need PostgreSQL, Redis, an SMTP sink or Chromium
ask for them through `require_*`: on a bare machine they are skipped and the
reason is printed; with LEDGER_REQUIRE_SERVICES=1 (set by .ci/run) a missing
service is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from django.contrib.auth.models import Group
from django.db import connection

PASSWORD = "correct-horse-battery-staple"
REQUIRE_SERVICES = os.environ.get("LEDGER_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def require_postgres() -> None:
    if not is_postgres():
        _missing("needs PostgreSQL (set DATABASE_URL=postgres://…)")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_redis() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        _missing("needs Redis (set CELERY_BROKER_URL=redis://…)")
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if not _port_open(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        _missing(f"Redis is not answering at {url}")
    return url


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture
def postgres(db):
    require_postgres()


def make_user(django_user_model, username: str, role: str | None = None, **extra):
    user = django_user_model.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.test",
        display_name=extra.pop("display_name", username.title()),
        **extra,
    )
    if role:
        # get_or_create: a transactional test flushes the groups the data migration made.
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def architect(django_user_model):
    return make_user(django_user_model, "alice", "architect", display_name="Alice Architect")


@pytest.fixture
def stakeholder(django_user_model):
    return make_user(django_user_model, "sam", "stakeholder", display_name="Sam Owner")


@pytest.fixture
def stakeholder2(django_user_model):
    return make_user(django_user_model, "sofia", "stakeholder", display_name="Sofia Security")


@pytest.fixture
def stakeholder3(django_user_model):
    return make_user(django_user_model, "eric", "stakeholder", display_name="Eric Engineering")


@pytest.fixture
def auditor(django_user_model):
    return make_user(django_user_model, "audrey", "auditor", display_name="Audrey Auditor")


@pytest.fixture
def outsider(django_user_model):
    return make_user(django_user_model, "olga", None, display_name="Olga Outsider")


@pytest.fixture
def staff(django_user_model):
    return make_user(
        django_user_model,
        "steve",
        "architect",
        display_name="Steve Staff",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def login(client):
    """`login(user)` → a Django test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def log(architect):
    from adr.services import log_create

    return log_create(actor=architect, key="AUTH", name="Platform Auth")


@pytest.fixture(autouse=True)
def registries():
    """Every typed registry (config.registry) is put back after each test, so a test
    that registers a hook of its own never leaks it into the next one."""
    from config import registry

    saved = registry.snapshot()
    yield
    registry.restore(saved)


@pytest.fixture
def idp(settings):
    """A scripted OpenID Connect provider on loopback that single sign-on points at
    (tests/support/oidc_peer.py; the real provider is tests/support/oidc_provider.py)."""
    from tests.support.oidc_peer import oidc_peer, use_peer

    with oidc_peer() as peer:
        use_peer(settings, peer)
        yield peer

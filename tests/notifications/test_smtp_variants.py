"""Staged delivery keeps every EMAIL_* setting working: EMAIL_URL's STARTTLS and
implicit-TLS variants, with a login, against a real TLS SMTP server on loopback."""

import ssl
import subprocess

import environ
import pytest
from aiosmtpd.smtp import AuthResult

from config.notifications import services
from tests.support.smtp_faults import FaultySmtpSink

pytestmark = pytest.mark.django_db

USER, PASSWORD = "ledger", "s3cret-for-the-sink"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl, as on any Debian machine)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(
        success=(auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode())
    )


@pytest.fixture
def trusted(monkeypatch, certificate):
    """The client trusts the test certificate the way it trusts a real one: through
    OpenSSL's default verify paths (Django's default ssl context)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _use_email_url(settings, url: str, timeout: int = 10) -> None:
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    for name, value in environ.Env.email_url_config(url).items():
        setattr(settings, name, value)
    settings.EMAIL_TIMEOUT = timeout


@pytest.mark.parametrize(
    ("scheme", "server_option"), [("smtp+tls", "tls_context"), ("smtp+ssl", "ssl_context")]
)
def test_an_email_goes_out_over_tls_with_a_login(
    settings, certificate, trusted, scheme, server_option
):
    options = {server_option: _server_context(certificate), "authenticator": _authenticate}
    if server_option == "tls_context":
        options["require_starttls"] = True
    else:
        # aiosmtpd does not count implicit TLS as TLS for AUTH; the channel is TLS anyway.
        options["auth_require_tls"] = False
    with FaultySmtpSink(**options) as sink:
        _use_email_url(settings, f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{sink.port}")
        row = services.notification_enqueue(
            recipient="ann@example.test",
            event="test.message",
            dedupe_key=scheme,
            template="test-message",
            context={"name": "Ann"},
        )
        assert services.notification_send(notification_id=row.pk) == "sent"
    assert [m["To"] for m in sink.messages] == ["ann@example.test"]


def test_a_wrong_password_is_a_refusal_before_anything_was_handed_over(
    settings, certificate, trusted
):
    options = {"tls_context": _server_context(certificate), "authenticator": _authenticate}
    with FaultySmtpSink(require_starttls=True, **options) as sink:
        _use_email_url(settings, f"smtp+tls://{USER}:wrong@127.0.0.1:{sink.port}", 2)
        row = services.notification_enqueue(
            recipient="ann@example.test",
            event="test.message",
            dedupe_key="wrong-password",
            template="test-message",
            context={"name": "Ann"},
        )
        assert services.notification_send(notification_id=row.pk) == "retry"
        row.refresh_from_db()
        # (aiosmtpd answers smtplib's second mechanism slowly: a refusal or a timeout.)
        assert row.last_error.startswith("connect: SMTP")
    assert sink.messages == []

"""Hand one email to the mail server in stages, so a failure says whether it may have gone.

Django's SMTP backend sends with `smtplib.SMTP.sendmail`, whose errors do not say at
which stage they happened: a timeout waiting for the answer to the message body looks
the same as a refused connection. For at-most-once delivery the difference matters:

- up to and including the answer to the `DATA` command, the server holds no message:
  any failure (refused connection, TLS or login error, a 4xx/5xx to MAIL, RCPT or DATA,
  a timeout or disconnect) is `DeliveryRefused` and the email may be retried;
- once the body is being sent, a failure without a clear answer (timeout, disconnect)
  is `DeliveryUncertain`: the server may have accepted it, so it must not be re-sent
  automatically. A clear 4xx/5xx answer to the body is still a refusal.

The connection is opened by Django's own backend (`backend.open()`), so every EMAIL_*
setting keeps working: host, port, user, password, EMAIL_USE_TLS (STARTTLS),
EMAIL_USE_SSL, EMAIL_SSL_CERTFILE/KEYFILE and EMAIL_TIMEOUT (per socket operation).
Django's local backends (locmem in tests, file, console) have no stages: their errors
count as refusals. Any other backend (an HTTP API, say) cannot tell how far it got, so
its errors count as uncertain.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

if TYPE_CHECKING:
    from django.core.mail.message import MIMEMixin

CRLF = b"\r\n"


class DeliveryRefused(Exception):
    """Nothing was handed over: the email may be sent again."""

    def __init__(self, stage: str, detail: str, *, answered: bool = False):
        super().__init__(f"{stage}: {detail}")
        self.stage = stage
        self.answered = answered  # the server said no (the session is still in order)


class DeliveryUncertain(Exception):
    """The body went to the server and no clear answer came back: it may have arrived."""

    def __init__(self, detail: str):
        super().__init__(f"after DATA: {detail}")
        self.stage = "after DATA"


def deliver(message: EmailMessage) -> None:
    """Send `message`; raise `DeliveryRefused` or `DeliveryUncertain` if it did not go."""
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        try:
            backend.send_messages([message])
        except Exception as exc:  # noqa: BLE001 - a backend without stages
            if _is_local(backend):
                raise DeliveryRefused("send", _describe(exc)) from exc
            raise DeliveryUncertain(_describe(exc)) from exc  # it may have reached a server
        return
    encoding = message.encoding or settings.DEFAULT_CHARSET
    try:
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in message.recipients()]
        # Django 5.2 builds a SafeMIMEText/SafeMIMEMultipart, whose as_bytes takes
        # `linesep` (django-stubs describe Django 6's stdlib message).
        body = cast("MIMEMixin", message.message()).as_bytes(linesep="\r\n")
    except ValueError as exc:  # an address or header Django cannot encode: nothing was sent
        raise DeliveryRefused("prepare", _describe(exc)) from exc
    try:
        backend.open()  # connect, EHLO, STARTTLS or SSL, login, as Django does
    except OSError as exc:  # smtplib.SMTPException is an OSError
        _close(backend, polite=False)
        raise DeliveryRefused("connect", _describe(exc)) from exc
    connection = backend.connection
    if connection is None:  # open() connects or raises: never the case
        raise DeliveryRefused("connect", "the mail backend opened no connection")
    try:
        _envelope(connection, sender, recipients, len(body))
    except DeliveryRefused as refusal:
        _close(backend, polite=refusal.answered)
        raise
    # From here on the server may hold the message.
    try:
        connection.send(_dot_stuffed(body))
        code, reply = connection.getreply()
    except Exception as exc:  # noqa: BLE001 - timeout, disconnect, TLS error: no clear answer
        _close(backend, polite=False)
        raise DeliveryUncertain(_describe(exc)) from exc
    _close(backend, polite=True)
    if 400 <= code < 600:
        raise DeliveryRefused("end of DATA", f"{code} {_text(reply)}")
    if not 200 <= code < 300:
        raise DeliveryUncertain(f"unreadable answer {code} {_text(reply)}")


def _envelope(connection: smtplib.SMTP, sender: str, recipients: list[str], size: int) -> None:
    """MAIL, RCPT and the DATA command, each answer checked (smtplib.sendmail's first half)."""
    _command("EHLO", connection.ehlo_or_helo_if_needed)
    options = [f"size={size}"] if connection.does_esmtp and connection.has_extn("size") else []
    code, reply = _command("MAIL", connection.mail, sender, options)
    if code != 250:
        raise DeliveryRefused("MAIL", f"{code} {_text(reply)}", answered=True)
    refusals = []
    for recipient in recipients:
        code, reply = _command("RCPT", connection.rcpt, recipient)
        if code not in (250, 251):
            refusals.append(f"{recipient}: {code} {_text(reply)}")
    if len(refusals) == len(recipients):
        raise DeliveryRefused("RCPT", "; ".join(refusals) or "no recipients", answered=True)
    code, reply = _command("DATA", connection.docmd, "data")
    if code != 354:
        raise DeliveryRefused("DATA", f"{code} {_text(reply)}", answered=True)


def _command(stage: str, send, *args):
    """One SMTP command before the body: a failure without an answer is still a refusal."""
    try:
        return send(*args)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        raise DeliveryRefused(stage, _describe(exc)) from exc


def _is_local(backend) -> bool:
    """Django's locmem, file, console and dummy backends: nothing leaves the machine."""
    return type(backend).__module__.startswith("django.core.mail.backends.")


def _dot_stuffed(body: bytes) -> bytes:
    """The body as smtplib.SMTP.data sends it: leading dots doubled, ended by CRLF.CRLF."""
    body = re.sub(rb"(?m)^\.", b"..", body)
    if not body.endswith(CRLF):
        body += CRLF
    return body + b"." + CRLF


def _close(backend: SmtpBackend, *, polite: bool) -> None:
    """QUIT when the session is in order; after a failure just drop the socket."""
    connection = backend.connection or getattr(backend, "_partial_connection", None)
    if polite:
        with contextlib.suppress(Exception):
            backend.close()
    elif connection is not None:
        with contextlib.suppress(Exception):
            connection.close()
    backend.connection = None
    if hasattr(backend, "_partial_connection"):
        backend._partial_connection = None


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]

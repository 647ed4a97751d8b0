"""A real SMTP server on loopback (aiosmtpd) that records what it receives.

`SmtpSink(refuse_first=N)` answers `451` to the first N messages (a transient
refusal, as a greylisting server would), then accepts.
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Callable
from email.message import Message

from aiosmtpd.controller import Controller

from tests.support.wait import poll


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            if self.sink.refusals_left > 0:
                self.sink.refusals_left -= 1
                self.sink.refused += 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.original_content or envelope.content)
            self.sink.messages.append(message)
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpSink:
    def __init__(self, refuse_first: int = 0):
        self.port = free_port()
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals_left = refuse_first
        self.refused = 0
        self.lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Message]:
        """Wait until at least `count` emails have arrived; all of them so far."""

        def enough() -> tuple[list[Message]] | None:
            with self.lock:
                return (list(self.messages),) if len(self.messages) >= count else None

        arrived = poll(enough, timeout=timeout)
        if arrived is None:
            raise AssertionError(
                f"expected {count} emails within {timeout}s, got {len(self.messages)}"
            )
        return arrived[0]

    def wait_for_message(
        self, matches: Callable[[Message], bool], *, what: str, timeout: float = 60.0
    ) -> Message:
        """Wait until an email for which `matches` is true has arrived; return it."""

        def found() -> tuple[Message] | None:
            # In a tuple: a Message's truth is its number of headers, not its presence.
            with self.lock:
                return next(((m,) for m in self.messages if matches(m)), None)

        message = poll(found, timeout=timeout)
        if message is None:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        return message[0]

    def recipients(self) -> list[str]:
        return sorted(r for _frm, rcpts in self.envelopes for r in rcpts)

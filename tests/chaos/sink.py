"""An SMTP sink on loopback that can misbehave: refuse, stall or drop connections.

It records every message *handed over* to it — the `DATA` content fully received —
keyed by the `X-Ledger-Notification` header the outbox puts on each email. A message
whose answer is lost (stalled past the client's timeout, or the connection dropped
after `DATA`) counts as received: in the real world it may well have been delivered,
so sending it again is a duplicate. A message refused or dropped *before* `DATA`
was never handed over and does not count.

Faults apply to every connection while a window is open (`sink.fault("stall", 4.0)`).
"""

from __future__ import annotations

import asyncio
import email
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.support.smtp import free_port

FAULTS = ("refuse", "stall", "drop")
# aiosmtpd logs every SMTP command at INFO: thousands of lines in a run.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Received:
    notification: str  # the outbox row's pk, as a string ("" if the header is missing)
    event: str
    recipients: tuple[str, ...]
    at: float


class _Handler:
    def __init__(self, sink: ChaosSmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode, before_data = self.sink.current()
        if mode and before_data:
            self.sink.count(f"{mode} before DATA")
            if mode == "refuse":
                return "451 4.3.2 Please try again later"
            if mode == "stall":
                await asyncio.sleep(self.sink.stall_seconds)
            if mode == "drop":
                server.transport.abort()
                return "421 4.3.0 closing"  # never reaches the client
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mode, before_data = self.sink.current()
        if mode == "refuse" and not before_data:
            self.sink.count("refuse after DATA")
            return "451 4.3.0 Try again later"  # a clear refusal: nothing delivered
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.sink.record(
            Received(
                notification=str(message.get("X-Ledger-Notification", "")),
                event=str(message.get("X-Ledger-Event", "")),
                recipients=tuple(a.lower() for a in envelope.rcpt_tos),
                at=time.monotonic(),
            )
        )
        if mode == "stall" and not before_data:
            self.sink.count("stall after DATA")
            await asyncio.sleep(self.sink.stall_seconds)
        elif mode == "drop" and not before_data:
            self.sink.count("drop after DATA")
            server.transport.abort()
            return "421 4.3.0 closing"  # never reaches the client
        return "250 OK"


class ChaosSmtpSink:
    """Start with `with ChaosSmtpSink(stall_seconds=…) as sink:`; `sink.url` for EMAIL_URL."""

    def __init__(self, *, stall_seconds: float):
        self.port = free_port()
        self.stall_seconds = stall_seconds
        self.received: list[Received] = []
        self.applied: Counter[str] = Counter()
        self._mode: tuple[str, bool] | None = None
        self._until = 0.0
        self._lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> ChaosSmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    # -- faults --
    def fault(self, mode: str, seconds: float, *, before_data: bool) -> str:
        """Misbehave for `seconds`, before `DATA` or after the message. Returns a label."""
        assert mode in FAULTS, mode
        with self._lock:
            self._mode = (mode, before_data)
            self._until = time.monotonic() + seconds
        return f"{mode} {'before' if before_data else 'after'} DATA for {seconds:.1f}s"

    def current(self) -> tuple[str | None, bool]:
        with self._lock:
            if self._mode and time.monotonic() < self._until:
                return self._mode
            return None, False

    def extend(self, seconds: float) -> None:
        with self._lock:
            self._until = time.monotonic() + seconds

    def hits(self) -> int:
        """How many SMTP commands a fault has been applied to so far."""
        with self._lock:
            return sum(self.applied.values())

    def heal(self) -> None:
        with self._lock:
            self._mode = None

    # -- records --
    def count(self, what: str) -> None:
        with self._lock:
            self.applied[what] += 1

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

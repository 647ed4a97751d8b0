"""An SMTP sink on loopback that misbehaves on request, at a chosen stage of the session.

- `hold_answers=True`: the message body is received and recorded (`received` is set),
  then the answer to it is held back until `release()` — a server that accepts DATA
  and answers after the client's timeout (if the client is still there).
- `drop_after_data=True`: the body is received and recorded, then the connection is
  cut without an answer.
- `refuse_rcpt_first=N`: the first N RCPT commands get `450` (nothing handed over).
- `refuse_data_command_first=N`: the first N DATA commands get `451` instead of `354`,
  so the body is never sent.
"""

from __future__ import annotations

import asyncio
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.support.smtp import SmtpSink, _Handler


class _FaultyHandler(_Handler):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.take("refuse_rcpt_first"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        sink = self.sink
        sink.received.set()
        if sink.drop_after_data:
            server.transport.abort()
            return answer
        if sink.hold_answers:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sink.released.wait, 60)
        return answer


class _FaultySMTP(SMTP):
    async def smtp_DATA(self, arg: str) -> None:
        if self.envelope.rcpt_tos and self.event_handler.sink.take("refuse_data_command_first"):
            await self.push("451 4.3.0 Not now, try again later")
            return
        await super().smtp_DATA(arg)


class _FaultyController(Controller):
    def factory(self):
        return _FaultySMTP(self.handler, **self.SMTP_kwargs)


class FaultySmtpSink(SmtpSink):
    def __init__(
        self,
        *,
        hold_answers: bool = False,
        drop_after_data: bool = False,
        refuse_rcpt_first: int = 0,
        refuse_data_command_first: int = 0,
        **controller_options,
    ):
        super().__init__()
        self.hold_answers = hold_answers
        self.drop_after_data = drop_after_data
        self.counters = {
            "refuse_rcpt_first": refuse_rcpt_first,
            "refuse_data_command_first": refuse_data_command_first,
        }
        self.refusals: dict[str, int] = dict.fromkeys(self.counters, 0)
        self.received = threading.Event()
        self.released = threading.Event()
        # controller_options: aiosmtpd's, e.g. tls_context (STARTTLS), ssl_context
        # (implicit TLS), authenticator.
        self.controller = _FaultyController(
            _FaultyHandler(self), hostname="127.0.0.1", port=self.port, **controller_options
        )

    def take(self, counter: str) -> bool:
        """True (and one fewer left) if this stage should still refuse."""
        with self.lock:
            if self.counters[counter] > 0:
                self.counters[counter] -= 1
                self.refusals[counter] += 1
                return True
            return False

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc) -> None:
        self.released.set()  # never leave a held answer blocking the server's shutdown
        super().__exit__(*exc)

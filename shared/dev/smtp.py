"""A real SMTP server on a loopback port that keeps what it receives (aiosmtpd).

    with SmtpStandIn() as smtp:          # port chosen free, or SmtpStandIn(port=2525)
        ... MAIL_BACKEND=smtp SMTP_PORT=smtp.port ...
        mail = smtp.wait_for(to="ada@example.test")
        mail.links()                      # the URLs in its text

`on_mail` (optional) is called with each message, e.g. to print it (`make dev`).
`refuse` answers RCPT TO for chosen addresses with a chosen reply, as a real
server does for an unknown mailbox (`{"gone@example.test": "550 5.1.1 No such
user"}`) or a full one (`"452 4.2.2 Mailbox full"`); it may be changed while running.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from shared.dev.embedded import free_port

URL_RE = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        """The first header called `name` (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def links(self) -> list[str]:
        return URL_RE.findall(self.text)


class _Handler:
    def __init__(self, stand_in: SmtpStandIn) -> None:
        self.stand_in = stand_in

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.stand_in.refuse.get(address.lower())
        if refusal is not None:
            self.stand_in._refused(address, refusal)
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        mail = ReceivedMail(
            sender=envelope.mail_from,
            recipients=tuple(envelope.rcpt_tos),
            subject=str(message["Subject"] or ""),
            text=body.get_content() if body is not None else "",
            html=html.get_content() if html is not None else "",
            headers=tuple((k, str(v)) for k, v in message.items()),
        )
        self.stand_in._receive(mail)
        return "250 Message accepted for delivery"


class _FinishingSMTP(SMTP):
    """aiosmtpd cancels its session the moment the client's connection ends, dropping a
    message whose final "." had arrived but was not read yet. A real MTA (Postfix)
    finishes what it received before the client went away, so the stand-in does too:
    crash tests of our sender then see what a real server would accept."""

    def eof_received(self) -> bool | None:
        return asyncio.StreamReaderProtocol.eof_received(self)  # the reader sees EOF, no cancel

    def connection_lost(self, error: Exception | None) -> None:
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        # EOF, never the error: what is buffered stays readable.
        asyncio.StreamReaderProtocol.connection_lost(self, None)
        self._finishing = asyncio.ensure_future(self._finish())

    async def _finish(self) -> None:
        # StreamReader has no event for "buffer drained after EOF": poll it.
        while not self._reader.at_eof():  # noqa: ASYNC110 (no such event to await)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # and handles its last command
        if self._handler_coroutine is not None:
            self._handler_coroutine.cancel()
        self.transport = None


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _FinishingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpStandIn:
    def __init__(
        self, port: int | None = None, on_mail: Callable[[ReceivedMail], None] | None = None
    ) -> None:
        self.port = port or free_port()
        self.on_mail = on_mail
        self.received: list[ReceivedMail] = []
        self.refuse: dict[str, str] = {}  # lower-cased address -> SMTP reply to its RCPT
        self.refusals: list[tuple[str, str]] = []
        self._lock = threading.Condition()
        self._controller = _Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def _receive(self, mail: ReceivedMail) -> None:
        with self._lock:
            self.received.append(mail)
            self._lock.notify_all()
        if self.on_mail is not None:
            self.on_mail(mail)

    def _refused(self, address: str, reply: str) -> None:
        with self._lock:
            self.refusals.append((address, reply))

    def to(self, address: str) -> list[ReceivedMail]:
        """Every mail received for `address`."""
        with self._lock:
            return [mail for mail in self.received if address in mail.recipients]

    def start(self) -> SmtpStandIn:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, *, to: str, subject: str = "", timeout: float = 10.0) -> ReceivedMail:
        """The newest mail to `to` (whose subject contains `subject`), waiting for it."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for mail in reversed(self.received):
                    if to in mail.recipients and subject in mail.subject:
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {to} ({subject!r}) within {timeout} s")
                self._lock.wait(remaining)

"""Mail that comes back to the newsletters' envelope address, read by the worker over LMTP.

Every issue names that address twice: as the `mailto:` of its List-Unsubscribe header
(RFC 2369, subject `unsubscribe <token>`) and as the envelope sender that delivery status
notifications go back to (RFC 3464). The operator's MTA hands that mailbox to the worker
over LMTP (RFC 2033; Postfix: `transport_maps` to `lmtp:inet:<worker>:<port>`), which

- unsubscribes the one (list, recipient) an `unsubscribe <token>` mail names, whoever
  sent it (the opaque token is the authority, as for the one-click URL);
- suppresses the address a DSN reports as permanently failed (status 5.x.x), so a
  bounce that arrives after the SMTP server had accepted the message counts like a
  550 at RCPT; delays (4.x.x) change nothing.

Anything else is accepted and dropped: answering 5xx to mail we cannot use would make
the MTA bounce it back to a sender that is often forged (backscatter).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

from aiosmtpd.lmtp import LMTP
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.registry import worker_loop
from shared.services.newsletters import subscriptions, suppressions

log = logging.getLogger(__name__)

_UNSUBSCRIBE = re.compile(r"^(?:\s*re:\s*)*unsubscribe\s+(\S+)\s*$", re.IGNORECASE)
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
MAX_MESSAGE = 10 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one inbound mail did, for the log and the tests."""

    unsubscribed: int | None = None  # the subscription's id
    suppressed: tuple[str, ...] = ()


def _bounced(message: Message) -> list[tuple[str, str]]:
    """(address, reason) of each recipient a delivery-status report says failed for good."""
    if message.get_content_type() != "multipart/report":
        return []
    report_type = message.get_param("report-type")
    if not isinstance(report_type, str) or report_type.lower() != "delivery-status":
        return []
    failed = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # The report's body is header blocks: one for the message, then one per recipient;
        # the email package parses each block as a sub-message.
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            status = str(block.get("Status") or "").strip()
            action = str(block.get("Action") or "").strip().lower()
            match = _STATUS.match(status)
            if not recipient or match is None or match.group(1) != "5" or action != "failed":
                continue
            _, _, address = recipient.partition(";")
            address = address.strip().strip("<>")
            if "@" in address:
                diagnostic = str(block.get("Diagnostic-Code") or "").strip()
                failed.append((address, f"bounced later: {status} {diagnostic}".strip()))
    return failed


async def handle_inbound(session: AsyncSession, raw: bytes) -> Outcome:
    """Act on one mail to the envelope address, in the caller's transaction."""
    message = message_from_bytes(raw, policy=policy.default)
    bounced = _bounced(message)
    if bounced:
        for address, reason in bounced:
            await suppressions.suppress(session, address, reason)
        return Outcome(suppressed=tuple(address for address, _ in bounced))
    subject = str(message.get("Subject") or "") if isinstance(message, EmailMessage) else ""
    found = _UNSUBSCRIBE.match(subject)
    if found is None:
        return Outcome()
    left = await subscriptions.unsubscribe_by_token(session, found.group(1))
    return Outcome(unsubscribed=left.id if left is not None else None)


class _Handler:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        try:
            async with self.sessions() as db, db.begin():
                outcome = await handle_inbound(db, raw if isinstance(raw, bytes) else raw.encode())
        except Exception:
            log.exception(
                "inbound mail from %s not handled; the MTA will retry", envelope.mail_from
            )
            return "451 4.3.0 Temporary failure, try again later"
        if outcome.unsubscribed is not None:
            log.info("inbound mail: subscription %d unsubscribed by mail", outcome.unsubscribed)
        for address in outcome.suppressed:
            log.info("inbound mail: %s suppressed by a delivery status report", address)
        # LMTP answers DATA once per recipient (RFC 2033 §4.2); the mail is one either way.
        return "\r\n".join(["250 2.0.0 OK"] * max(1, len(envelope.rcpt_tos)))


class InboundMail:
    """The worker's LMTP listener; idle when no port is configured."""

    channels: tuple[str, ...] = ()

    def __init__(self, ctx: JobContext, stopping: asyncio.Event) -> None:
        self.mail = ctx.settings.mail
        self.sessions = ctx.sessions
        self.stopping = stopping
        self.port: int | None = None  # the bound port, once listening

    def notified(self, channel: str, payload: str) -> None:
        return None

    async def run(self) -> None:
        if self.mail.inbound_port is None:
            return
        handler = _Handler(self.sessions)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: LMTP(handler, data_size_limit=MAX_MESSAGE, enable_SMTPUTF8=True),
            host=self.mail.inbound_host,
            port=self.mail.inbound_port,
        )
        self.port = server.sockets[0].getsockname()[1]
        log.info("inbound mail (LMTP) on %s:%d", self.mail.inbound_host, self.port)
        try:
            await self.stopping.wait()
        finally:
            server.close()
            await server.wait_closed()


@worker_loop("inbound-mail")
def inbound_mail_loop(ctx: JobContext, stopping: asyncio.Event) -> InboundMail:
    """Unsubscribe mails and bounce reports, beside the jobs."""
    return InboundMail(ctx, stopping)

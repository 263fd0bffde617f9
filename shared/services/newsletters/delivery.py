"""The send job: snapshot the recipients, then mail each one exactly once over SMTP.

Exactly once across a crash: a recipient's row turns `sent` in a committed
transaction *after* the whole message has been written to the SMTP server but
*before* the terminating "." that makes the server accept it (a batch of rows,
one per connection, shares that commit). A worker killed
before that commit leaves the row `queued` and the server drops the unfinished
message (RFC 5321 §4.1.1.4: no "." means no mail); killed after it, the row is
`sent` and the "." is the next bytes on the wire. A resumed job (the runner
re-claims it when the lease lapses) therefore mails exactly the `queued` rows.
Before the commit each message is flushed out of our process (the kernel
still sends what it holds when a killed process's sockets close), and the
"."s are written synchronously after it, so the window left is the
microseconds between the COMMIT's answer and those writes.

Each row is claimed `FOR UPDATE SKIP LOCKED`, so even two runs of one send (a
lease lost to a stalled worker) never mail the same row twice.

A 5xx answer to RCPT (or to the message) is a hard bounce: the row fails and
the address is suppressed. A 4xx is soft: the row stays queued with its
attempt counted, and the job fails so the runner retries it with backoff,
until `MAX_SOFT_ATTEMPTS` makes the row fail.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings
from sqlalchemy import exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import JobContext, job_kind
from shared.models.newsletters import (
    DeliveryStatus,
    EmailSuppression,
    NewsletterDelivery,
    NewsletterSend,
    NewsletterSubscription,
    SendStatus,
    SubscriptionStatus,
)
from shared.services.newsletters.issue_mail import IssueMail
from shared.services.newsletters.suppressions import suppress

log = logging.getLogger(__name__)

SEND_JOB = "newsletters.send"
# One sender claims BATCH rows at a time and mails them over BATCH connections at once,
# so one commit covers BATCH recipients; SENDERS overlap one's commit with another's SMTP.
BATCH = 8
SENDERS = 2
CONNECTIONS = BATCH * SENDERS  # SMTP connections one send uses at once
MAX_SOFT_ATTEMPTS = 5
SMTP_TIMEOUT = 30.0


class SoftFailures(Exception):
    """Some recipients answered 4xx: the job is retried later for them."""


@dataclass(frozen=True, slots=True)
class _Recipient:
    id: int
    email: str
    token: str


async def _snapshot(session: AsyncSession, send: NewsletterSend) -> None:
    """One delivery row per confirmed subscriber; a suppressed address's row fails at once."""
    suppressed = exists().where(
        func.lower(EmailSuppression.email) == func.lower(NewsletterSubscription.email)
    )
    for where, status, error in (
        (~suppressed, DeliveryStatus.QUEUED, None),
        (suppressed, DeliveryStatus.FAILED, "suppressed: an earlier mail bounced"),
    ):
        chosen = select(
            literal(send.id),
            NewsletterSubscription.id,
            NewsletterSubscription.email,
            literal(str(status)),
            literal(error),
        ).where(
            NewsletterSubscription.newsletter_id == send.newsletter_id,
            NewsletterSubscription.status == SubscriptionStatus.CONFIRMED,
            where,
        )
        await session.execute(
            insert(NewsletterDelivery).from_select(
                ["send_id", "subscription_id", "email", "status", "last_error"], chosen
            )
        )
    send.recipient_count = (
        await session.scalar(
            select(func.count(NewsletterDelivery.id)).where(NewsletterDelivery.send_id == send.id)
        )
        or 0
    )


async def _claim(
    session: AsyncSession, send_id: int, run_started: datetime, limit: int
) -> list[_Recipient]:
    rows = await session.execute(
        select(
            NewsletterDelivery.id,
            NewsletterDelivery.email,
            NewsletterSubscription.unsubscribe_token,
        )
        .join(
            NewsletterSubscription,
            NewsletterSubscription.id == NewsletterDelivery.subscription_id,
        )
        .where(
            NewsletterDelivery.send_id == send_id,
            NewsletterDelivery.status == DeliveryStatus.QUEUED,
            NewsletterDelivery.attempts < MAX_SOFT_ATTEMPTS,
            # A row that failed softly in this run waits for the job's retry.
            NewsletterDelivery.last_error.is_(None) | (NewsletterDelivery.updated_at < run_started),
        )
        .order_by(NewsletterDelivery.id)
        .limit(limit)
        .with_for_update(of=NewsletterDelivery, skip_locked=True)
    )
    return [_Recipient(id_, email, token) for id_, email, token in rows]


async def _mark(session: AsyncSession, ids: list[int], **values: Any) -> None:
    await session.execute(
        update(NewsletterDelivery)
        .where(NewsletterDelivery.id.in_(ids))
        .values(updated_at=func.now(), **values)
    )


async def _open_smtp(settings: Settings) -> aiosmtplib.SMTP:
    mail = settings.mail
    smtp = aiosmtplib.SMTP(
        hostname=mail.smtp_host,
        port=mail.smtp_port,
        timeout=SMTP_TIMEOUT,
        start_tls=mail.smtp_starttls,
    )
    await smtp.connect()
    if mail.smtp_username and mail.smtp_password:
        await smtp.login(mail.smtp_username, mail.smtp_password)
    return smtp


async def _stage(
    smtp: aiosmtplib.SMTP, issue: IssueMail, rcpt: _Recipient
) -> aiosmtplib.SMTPResponseException | None:
    """Everything of one mail but its final "."; the server's refusal, if it refused."""
    data = normalize_message_line_endings(issue.as_bytes(rcpt.email, rcpt.token, rcpt.id))
    try:
        await smtp.mail(issue.envelope_from)
        await smtp.rcpt(rcpt.email)
        started = await smtp.execute_command(b"DATA")
        if started.code != 354:
            raise aiosmtplib.SMTPDataError(started.code, started.message)
    except aiosmtplib.SMTPResponseException as exc:
        await smtp.rset()
        return exc
    assert smtp.protocol is not None
    smtp.protocol.write(PERIOD_REGEX.sub(b"..", data))
    await _flushed(smtp)
    return None


async def _flushed(smtp: aiosmtplib.SMTP) -> None:
    """Wait until the message has left our process for the kernel: bytes still in
    asyncio's buffer die with a killed worker, the kernel's are still sent (and the
    row must not be committed `sent` for a message the server can never finish)."""
    assert smtp.protocol is not None and smtp.protocol.transport is not None
    transport = smtp.protocol.transport
    deadline = asyncio.get_running_loop().time() + SMTP_TIMEOUT
    while transport.get_write_buffer_size() > 0:  # type: ignore[attr-defined]
        if asyncio.get_running_loop().time() > deadline or transport.is_closing():
            raise aiosmtplib.SMTPServerDisconnected("the message could not be written")
        await asyncio.sleep(0.002)


def _write_final_dot(smtp: aiosmtplib.SMTP) -> None:
    """Write the final "." now, synchronously: nothing may run between the commit that
    marked the row `sent` and these bytes reaching the kernel."""
    assert smtp.protocol is not None
    smtp.protocol._response_pending = True  # its reply is expected (read below)
    smtp.protocol.write(b".\r\n")


async def _refused(session: AsyncSession, rcpt: _Recipient, code: int, message: str) -> str:
    """Record a refusal (5xx: failed and suppressed; 4xx: retried later), uncommitted."""
    error = f"{code} {message}"[:1000]
    if 500 <= code < 600:
        await _mark(session, [rcpt.id], status=DeliveryStatus.FAILED, last_error=error)
        await suppress(session, rcpt.email, f"hard bounce: {error}")
        return "bounced"
    await _mark(
        session,
        [rcpt.id],
        status=DeliveryStatus.QUEUED,
        attempts=NewsletterDelivery.attempts + 1,
        last_error=error,
    )
    return "deferred"


async def _deliver_batch(
    connections: list[aiosmtplib.SMTP],
    session: AsyncSession,
    issue: IssueMail,
    batch: list[_Recipient],
) -> list[str]:
    """Mail a claimed batch, one recipient per connection, in the claim's transaction.

    Every message is written but for its "."; then one commit marks them all sent
    (the point of no return); only then do the "."s go out. A connection that fails
    before the commit raises: nothing is committed, no server accepted anything.
    """
    staged = await asyncio.gather(
        *(_stage(smtp, issue, rcpt) for smtp, rcpt in zip(connections, batch, strict=False))
    )
    outcomes = []
    ready = [rcpt.id for rcpt, refusal in zip(batch, staged, strict=True) if refusal is None]
    for rcpt, refusal in zip(batch, staged, strict=True):
        if refusal is not None:
            outcomes.append(await _refused(session, rcpt, refusal.code, refusal.message))
    if ready:
        await _mark(session, ready, status=DeliveryStatus.SENT, sent_at=datetime.now(UTC))
    await session.commit()
    waiting = [
        (smtp, rcpt)
        for smtp, rcpt, refusal in zip(connections, batch, staged, strict=False)
        if refusal is None
    ]
    for smtp, _ in waiting:
        _write_final_dot(smtp)
    answers = await asyncio.gather(*(_answer(smtp) for smtp, _ in waiting))
    late = [(rcpt, a) for (_, rcpt), a in zip(waiting, answers, strict=True) if a.code != 250]
    for rcpt, answer in late:  # refused after the message: rare, recorded in its own commit
        outcomes.append(await _refused(session, rcpt, answer.code, answer.message))
    if late:
        await session.commit()
    return outcomes + ["sent"] * (len(waiting) - len(late))


async def _answer(smtp: aiosmtplib.SMTP) -> aiosmtplib.SMTPResponse:
    assert smtp.protocol is not None
    return await smtp.protocol.read_response(timeout=SMTP_TIMEOUT)


async def _sender(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    issue: IssueMail,
    run_started: datetime,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    connections = [await _open_smtp(settings) for _ in range(BATCH)]
    try:
        async with sessions() as session:
            while True:
                await session.begin()
                batch = await _claim(session, issue.send_id, run_started, BATCH)
                if not batch:
                    await session.rollback()
                    break
                for outcome in await _deliver_batch(connections, session, issue, batch):
                    counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        for smtp in connections:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
    return counts


async def _prepare(ctx: JobContext, send_id: int) -> IssueMail | None:
    """The issue's mail, its recipients snapshotted on the first run; None when done."""
    async with ctx.sessions() as session, session.begin():
        send = await session.get(NewsletterSend, send_id, with_for_update=True)
        if send is None or send.status in (SendStatus.SENT, SendStatus.FAILED):
            return None
        if send.status == SendStatus.QUEUED:
            await _snapshot(session, send)
            send.status = SendStatus.SENDING
        newsletter = send.newsletter
        return IssueMail.render(
            ctx.settings,
            send_id=send.id,
            slug=newsletter.slug,
            newsletter_name=newsletter.name,
            sender_name=newsletter.sender_name,
            reply_to=newsletter.reply_to,
            subject=send.subject,
            body_html=send.body_html,
            body_text=send.body_text,
        )


async def _finish(ctx: JobContext, send_id: int) -> int:
    """Fail the rows out of attempts; mark the send sent when none is left; how many wait."""
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            update(NewsletterDelivery)
            .where(
                NewsletterDelivery.send_id == send_id,
                NewsletterDelivery.status == DeliveryStatus.QUEUED,
                NewsletterDelivery.attempts >= MAX_SOFT_ATTEMPTS,
            )
            .values(status=DeliveryStatus.FAILED)
        )
        waiting = await session.scalar(
            select(func.count(NewsletterDelivery.id)).where(
                NewsletterDelivery.send_id == send_id,
                NewsletterDelivery.status == DeliveryStatus.QUEUED,
            )
        )
        if not waiting:
            await session.execute(
                update(NewsletterSend)
                .where(NewsletterSend.id == send_id)
                .values(status=SendStatus.SENT, sent_at=func.now())
            )
        return waiting or 0


@job_kind(
    SEND_JOB,
    max_attempts=MAX_SOFT_ATTEMPTS + 5,
    timeout=timedelta(hours=3),
    backoff=timedelta(seconds=30),
    max_backoff=timedelta(minutes=30),
)
async def send_issue(ctx: JobContext, payload: dict[str, Any]) -> None:
    send_id = int(payload["send_id"])
    run_started = datetime.now(UTC)
    issue = await _prepare(ctx, send_id)
    if issue is None:
        return
    results = await asyncio.gather(
        *(_sender(ctx.settings, ctx.sessions, issue, run_started) for _ in range(CONNECTIONS))
    )
    totals: dict[str, int] = {}
    for counts in results:
        for outcome, n in counts.items():
            totals[outcome] = totals.get(outcome, 0) + n
    waiting = await _finish(ctx, send_id)
    log.info("newsletter send %s: %s, %s waiting", send_id, totals, waiting)
    if waiting:
        raise SoftFailures(f"{waiting} recipients answered 4xx; retrying later")

"""Mail back to the envelope address, delivered to the worker's LMTP listener over a real
socket: the List-Unsubscribe mailto: and delivery status reports."""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.jobs import JobContext
from shared.models.newsletters import EmailSuppression, NewsletterSubscription
from shared.services.newsletters import sends
from shared.services.newsletters.delivery import send_issue
from shared.services.newsletters.inbound import InboundMail
from tests.services.newsletters.conftest import make_list


@pytest.fixture
def mail_env(mail_env: dict[str, str]) -> dict[str, str]:
    return {**mail_env, "INBOUND_MAIL_PORT": "0"}  # a free port


@pytest.fixture
async def lmtp(job_context: JobContext) -> AsyncIterator[int]:
    """The worker's listener, running as the worker runs it; its port."""
    stopping = asyncio.Event()
    inbound = InboundMail(job_context, stopping)
    running = asyncio.create_task(inbound.run())
    for _ in range(200):
        if inbound.port is not None:
            break
        await asyncio.sleep(0.01)
    assert inbound.port is not None, "the LMTP listener did not start"
    yield inbound.port
    stopping.set()
    await running


async def deliver(port: int, message: EmailMessage | bytes, to: str = "news@rose-ash.test") -> None:
    raw = message if isinstance(message, bytes) else message.as_bytes()

    def send() -> None:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.sendmail("member@example.test", [to], raw)

    await asyncio.to_thread(send)


def unsubscribe_mail(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Someone <someone@example.test>"
    message["To"] = "news@rose-ash.test"
    message["Subject"] = subject
    message.set_content("")
    return message


def bounce_report(recipient: str, status: str, action: str) -> bytes:
    """A DSN as Postfix writes one (RFC 3464): a multipart/report with a status part."""
    return (
        "From: MAILER-DAEMON@mx.example.test\r\n"
        "To: news@rose-ash.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "This is the mail system at host mx.example.test.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.test\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--B--\r\n"
    ).encode()


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[int, str], str]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                NewsletterSubscription.newsletter_id,
                NewsletterSubscription.email,
                NewsletterSubscription.status,
            )
        )
        return {(n, e): s for n, e, s in rows}


async def suppressed(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(EmailSuppression.email)))


async def test_the_mailto_in_an_issue_unsubscribes_that_recipient_from_that_list_only(
    committed: async_sessionmaker[AsyncSession],
    job_context: JobContext,
    smtp: SmtpStandIn,
    lmtp: int,
) -> None:
    weekly, _ = await make_list(committed, "weekly", ["ann@example.test"])
    market, _ = await make_list(committed, "market", ["ann@example.test"])
    async with committed() as session, session.begin():
        send_id = await sends.create_issue(session, weekly, "Hello", "Hi all.")
    await send_issue(job_context, {"send_id": send_id})
    # What a mail client does with the issue's List-Unsubscribe mailto: (RFC 6068).
    header = smtp.wait_for(to="ann@example.test").header("List-Unsubscribe") or ""
    mailto = urlsplit(re.findall(r"<(mailto:[^>]+)>", header)[0])
    subject = parse_qs(mailto.query)["subject"][0]
    assert subject.startswith("unsubscribe ")
    await deliver(lmtp, unsubscribe_mail(subject), to=unquote(mailto.path))
    assert await statuses(committed) == {
        (weekly, "ann@example.test"): "unsubscribed",
        (market, "ann@example.test"): "confirmed",
    }


async def test_an_unknown_token_or_another_subject_changes_nothing_and_is_accepted(
    committed: async_sessionmaker[AsyncSession], lmtp: int
) -> None:
    weekly, _ = await make_list(committed, "weekly", ["ann@example.test"])
    for subject in ("unsubscribe weekly-tok-99999-forged", "Re: your post", "unsubscribe"):
        await deliver(lmtp, unsubscribe_mail(subject))  # raises if the listener refused it
    assert await statuses(committed) == {(weekly, "ann@example.test"): "confirmed"}


async def test_a_late_permanent_bounce_suppresses_the_address_and_a_delay_does_not(
    committed: async_sessionmaker[AsyncSession], job_context: JobContext, lmtp: int
) -> None:
    weekly, _ = await make_list(
        committed, "weekly", ["gone@example.test", "slow@example.test", "ok@example.test"]
    )
    await deliver(lmtp, bounce_report("gone@example.test", "5.1.1", "failed"))
    await deliver(lmtp, bounce_report("slow@example.test", "4.4.7", "delayed"))
    assert await suppressed(committed) == ["gone@example.test"]
    # The next issue goes to everyone else.
    async with committed() as session, session.begin():
        send_id = await sends.create_issue(session, weekly, "Next", "More news.")
    await send_issue(job_context, {"send_id": send_id})
    async with committed() as session:
        progress = {p.id: p for p in await sends.list_sends(session, weekly)}
    assert progress[send_id].sent == 2
    async with committed() as session:
        count = await session.scalar(select(func.count()).select_from(EmailSuppression))
    assert count == 1

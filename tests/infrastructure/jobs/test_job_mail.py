"""A mail sent by a job keeps one Message-ID across the job's attempts: a worker killed
after the mail server took the message sends it again on the retry, and readers' mail
programs show the two copies as one message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parseaddr

import pytest

from shared.dev.smtp import ReceivedMail, SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.mail import Mail, make_mailer
from shared.services.events.mail import send_events_mail


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


def received(smtp: SmtpStandIn, to: str, count: int) -> list[ReceivedMail]:
    smtp.wait_for(to=to)  # the sends were awaited; this only lets the stand-in catch up
    deadline = time.monotonic() + 10
    while len(mails := smtp.to(to)) < count:
        assert time.monotonic() < deadline, f"{len(mails)} of {count} mails to {to} arrived"
        time.sleep(0.05)
    return mails


def job_context(settings: Settings, smtp: SmtpStandIn) -> JobContext:
    mail = settings.mail.model_copy(
        update={"backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    )
    return JobContext(settings.model_copy(update={"mail": mail}), None, None)  # type: ignore[arg-type]


async def test_a_retried_mail_job_sends_the_same_message_id_and_another_job_its_own(
    settings: Settings, smtp: SmtpStandIn
) -> None:
    ctx = job_context(settings, smtp)
    payload = {"to": "ada@example.test", "subject": "Booked", "text": "See you.", "html": ""}

    await send_events_mail(ctx.for_job(42, 1), payload)
    await send_events_mail(ctx.for_job(42, 2), payload)  # the retry after a crash
    await send_events_mail(ctx.for_job(43, 1), {**payload, "subject": "Waiting list"})

    first, retry, other = received(smtp, "ada@example.test", 3)
    assert (first.subject, retry.subject, other.subject) == ("Booked", "Booked", "Waiting list")
    assert first.header("Message-ID") == retry.header("Message-ID")
    assert other.header("Message-ID") != first.header("Message-ID")
    domain = parseaddr(settings.mail.from_address)[1].rpartition("@")[2]
    assert str(first.header("Message-ID")).endswith(f"@{domain}>")


async def test_mails_sent_outside_a_job_each_get_a_new_message_id(
    settings: Settings, smtp: SmtpStandIn
) -> None:
    mailer = make_mailer(job_context(settings, smtp).settings.mail)
    for _ in range(2):
        await mailer.send(Mail(to="ben@example.test", subject="Link", text="Sign in."))

    first, second = received(smtp, "ben@example.test", 2)
    assert first.header("Message-ID") and second.header("Message-ID")
    assert first.header("Message-ID") != second.header("Message-ID")

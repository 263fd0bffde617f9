"""The Mailer contract: the SMTP mailer (against the SMTP stand-in) and the console mailer
pass the same cases, each observed where it delivers (the stand-in's inbox, the log)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from shared.dev.embedded import free_port
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import MailSettings
from shared.infrastructure.mail import (
    ConsoleMailer,
    Mail,
    Mailer,
    SmtpMailer,
    make_mailer,
)


@dataclass
class Delivered:
    to: str
    subject: str
    text: str


@dataclass
class Backend:
    mailer: Mailer
    delivered: Callable[[str], Delivered]  # the mail to this address, once it has arrived


@pytest.fixture(params=["smtp", "console"])
def backend(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[Backend]:
    if request.param == "smtp":
        with SmtpStandIn() as smtp:
            settings = MailSettings(backend="smtp", smtp_port=smtp.port)

            def from_inbox(to: str) -> Delivered:
                mail = smtp.wait_for(to=to)
                text = mail.text.replace("\r\n", "\n")  # SMTP lines end in CRLF on the wire
                return Delivered(to=mail.recipients[0], subject=mail.subject, text=text)

            yield Backend(make_mailer(settings), from_inbox)
        return
    caplog.set_level(logging.WARNING, logger="shared.infrastructure.mail")

    def from_log(to: str) -> Delivered:
        for record in caplog.records:
            args = record.args
            if isinstance(args, tuple) and args and args[0] == to:
                return Delivered(to=str(args[0]), subject=str(args[1]), text=str(args[2]))
        raise AssertionError(f"no mail to {to} was logged")

    yield Backend(make_mailer(MailSettings(backend="console")), from_log)


async def test_a_mail_reaches_its_recipient_with_its_subject_and_text(backend: Backend) -> None:
    await backend.mailer.send(
        Mail(to="ada@example.test", subject="Your order", text="Thank you.\nRose Ash")
    )

    got = backend.delivered("ada@example.test")
    assert (got.to, got.subject) == ("ada@example.test", "Your order")
    assert got.text.strip() == "Thank you.\nRose Ash"


async def test_an_html_alternative_keeps_the_text_for_readers_without_html(
    backend: Backend,
) -> None:
    await backend.mailer.send(
        Mail(to="ben@example.test", subject="News", text="Plain words", html="<p>Rich words</p>")
    )

    assert backend.delivered("ben@example.test").text.strip() == "Plain words"


async def test_a_subject_in_any_language_arrives_as_written(backend: Backend) -> None:
    await backend.mailer.send(
        Mail(to="cleo@example.test", subject="Café ☕ à 19 h", text="À bientôt")
    )

    got = backend.delivered("cleo@example.test")
    assert (got.subject, got.text.strip()) == ("Café ☕ à 19 h", "À bientôt")


def test_the_setting_chooses_the_mailer() -> None:
    assert isinstance(make_mailer(MailSettings(backend="smtp")), SmtpMailer)
    assert isinstance(make_mailer(MailSettings(backend="console")), ConsoleMailer)


async def test_smtp_to_a_server_that_is_not_there_raises_for_the_caller_to_retry() -> None:
    mailer = SmtpMailer(MailSettings(backend="smtp", smtp_port=free_port()))
    with pytest.raises(OSError):
        await mailer.send(Mail(to="ada@example.test", subject="Lost", text="Nobody listens"))

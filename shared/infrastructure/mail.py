"""Sending mail: `SmtpMailer` speaks SMTP to a real server (or the dev/test
stand-in); `ConsoleMailer` only logs, and the configuration refuses it when
ROSE_ASH_ENV=prod (it would log reset links). The setting `mail.backend` chooses."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Protocol

from shared.infrastructure.config import MailSettings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None  # an HTML alternative to `text`
    # Set by senders that may send the same mail again (a job retried after the server
    # took it but before the job was marked done): the copies share it, so readers' mail
    # programs show one message. Unset, each send gets a new one.
    message_id: str | None = None


def message_id_for(key: str, sender: str) -> str:
    """A Message-ID made from `key` (unique per mail) at the sender address's domain."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{key}@{domain}>"


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None:
        """Hand the message over for delivery; raises OSError/SMTPException on failure."""
        ...


def _message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = mail.message_id or make_msgid(domain=domain)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        # smtplib blocks: run it in a thread so the event loop keeps serving.
        await asyncio.to_thread(self._send, _message(mail, self.settings.from_address))

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(message)


class ConsoleMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        log.warning(
            "mail (not sent, MAIL_BACKEND=console) to %s: %s\n%s", mail.to, mail.subject, mail.text
        )


def make_mailer(settings: MailSettings) -> Mailer:
    return SmtpMailer(settings) if settings.backend == "smtp" else ConsoleMailer(settings)

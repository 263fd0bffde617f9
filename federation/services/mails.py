"""The mails federation sends members, handed to the mailer in the background.

Sending in a background task keeps the response time the same whether or
not a mail goes out (so "forgot password" reveals nothing about who has an
account) and keeps a slow mail server from holding the page.
"""

from __future__ import annotations

import logging

from quart import Quart

from federation.config import PASSWORD_RESET_HOURS
from federation.services.sso import provider_state
from shared.contracts.dtos import MailedToken
from shared.infrastructure.mail import Mail

log = logging.getLogger(__name__)


def _send_later(app: Quart, mail: Mail) -> None:
    mailer = provider_state(app).mailer

    async def send() -> None:
        try:
            await mailer.send(mail)
        except Exception:
            log.exception("sending %r to %s failed", mail.subject, mail.to)

    app.add_background_task(send)


def _base_url(app: Quart) -> str:
    return provider_state(app).provider.issuer


def send_verification_link(app: Quart, token: MailedToken) -> None:
    link = f"{_base_url(app)}/email/verify/{token.token}"
    text = (
        f"Hello {token.display_name},\n\n"
        f"Welcome to Rose Ash. Please confirm your email address by opening this link:\n\n"
        f"{link}\n\nIf you did not create an account, ignore this mail.\n"
    )
    _send_later(app, Mail(to=token.email, subject="Confirm your email address", text=text))


def send_reset_link(app: Quart, token: MailedToken) -> None:
    link = f"{_base_url(app)}/password/reset/{token.token}"
    text = (
        f"Hello {token.display_name},\n\n"
        f"Someone (we hope you) asked to reset your Rose Ash password. Choose a new one here "
        f"within {PASSWORD_RESET_HOURS} hour:\n\n{link}\n\n"
        f"If it was not you, ignore this mail: your password stays as it is.\n"
    )
    _send_later(app, Mail(to=token.email, subject="Reset your password", text=text))

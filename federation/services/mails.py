"""The mails federation sends members, handed to the mailer in the background.

Sending in a background task keeps the response time the same whether or
not a mail goes out (so "forgot password" reveals nothing about who has an
account) and keeps a slow mail server from holding the page.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from quart import Quart, render_template

from federation.config import EMAIL_CHANGE_HOURS, PASSWORD_RESET_HOURS, SIGN_IN_LINK_MINUTES
from federation.services.provider import provider_state
from shared.contracts.dtos import MailedToken, UserRecord
from shared.infrastructure.mail import Mail
from shared.services.identity.account_security import EmailChange

log = logging.getLogger(__name__)


def _send_later(app: Quart, mail: Mail) -> None:
    mailer = provider_state(app).mailer(app)

    async def send() -> None:
        try:
            await mailer.send(mail)
        except Exception:
            log.exception("sending %r to %s failed", mail.subject, mail.to)

    app.add_background_task(send)


def _base_url(app: Quart) -> str:
    return provider_state(app).provider.issuer


async def _render_mail(template: str, **context: object) -> tuple[str, str]:
    """The text and HTML bodies of `federation/mail/<name>.txt` and `.html`."""
    text = await render_template(f"federation/mail/{template}.txt", **context)
    html = await render_template(f"federation/mail/{template}.html", **context)
    return text, html


async def send_verification_link(app: Quart, token: MailedToken) -> None:
    # The token in the query string: access logs record paths only.
    link = f"{_base_url(app)}/email/verify?{urlencode({'token': token.token})}"
    text, html = await _render_mail("email_verification", name=token.display_name, link=link)
    mail = Mail(to=token.email, subject="Confirm your email address", text=text, html=html)
    _send_later(app, mail)


async def send_reset_link(app: Quart, token: MailedToken) -> None:
    link = f"{_base_url(app)}/password/reset?{urlencode({'token': token.token})}"
    text, html = await _render_mail(
        "password_reset", name=token.display_name, link=link, hours=PASSWORD_RESET_HOURS
    )
    _send_later(app, Mail(to=token.email, subject="Reset your password", text=text, html=html))


async def send_sign_in_link(app: Quart, token: MailedToken, next_path: str, *, new: bool) -> None:
    """A link that signs the member in (and, for `new` members, finishes signing up)."""
    query = urlencode({"token": token.token, "next": next_path})
    link = f"{_base_url(app)}/signin/link?{query}"
    text, html = await _render_mail(
        "sign_in_link", name=token.display_name, link=link, minutes=SIGN_IN_LINK_MINUTES, new=new
    )
    subject = "Finish signing up" if new else "Your sign-in link"
    _send_later(app, Mail(to=token.email, subject=subject, text=text, html=html))


async def send_password_changed(app: Quart, user: UserRecord) -> None:
    link = f"{_base_url(app)}/password/forgot"
    text, html = await _render_mail("password_changed", name=user.display_name, link=link)
    mail = Mail(to=user.email, subject="Your password was changed", text=text, html=html)
    _send_later(app, mail)


async def send_email_change(app: Quart, change: EmailChange) -> None:
    """The completing link to the new address; to the old one a notice that cannot complete."""
    query = urlencode({"token": change.token})
    link = f"{_base_url(app)}/security/email/confirm?{query}"
    text, html = await _render_mail(
        "email_change", name=change.display_name, link=link, hours=EMAIL_CHANGE_HOURS
    )
    subject = "Confirm your new email address"
    _send_later(app, Mail(to=change.new_email, subject=subject, text=text, html=html))
    text, html = await _render_mail(
        "email_change_notice",
        name=change.display_name,
        new_email=change.new_email,
        security_url=f"{_base_url(app)}/security",
    )
    subject = "A change of your email address was asked for"
    _send_later(app, Mail(to=change.old_email, subject=subject, text=text, html=html))

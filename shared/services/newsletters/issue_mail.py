"""One issue as mail: HTML with its CSS inlined (css-inline) plus plain text, from templates.

The templates are rendered and inlined once per send; each recipient's copy
only fills in its own address and unsubscribe link (both HTML-escaped), so
10,000 copies cost 10,000 string substitutions, not 10,000 inlinings. The
unsubscribe link is per recipient and per list (its subscription's opaque
token), so a forwarded issue can only unsubscribe its recipient from that list.
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

import css_inline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.infrastructure.config import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "newsletters" / "mail"
_RECIPIENT = "RA-RECIPIENT-ADDRESS"
_UNSUBSCRIBE = "https://ra-unsubscribe-link.invalid/"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def unsubscribe_url(settings: Settings, slug: str, token: str) -> str:
    return f"{settings.apps['account'].base_url}/newsletters/{slug}/unsubscribe/{token}"


@dataclass(frozen=True, slots=True)
class IssueMail:
    """The parts every copy of one issue shares."""

    send_id: int
    slug: str
    subject: str
    sender: str  # the From header
    envelope_from: str
    reply_to: str | None
    list_id: str
    html: str  # inlined, with placeholders
    text: str
    account_url: str
    msgid_domain: str

    @classmethod
    def render(
        cls,
        settings: Settings,
        *,
        send_id: int,
        slug: str,
        newsletter_name: str,
        sender_name: str,
        reply_to: str | None,
        subject: str,
        body_html: str,
        body_text: str,
    ) -> IssueMail:
        account = settings.apps["account"].base_url
        context = {
            "subject": subject,
            "newsletter_name": newsletter_name,
            "site_name": settings.site.name,
            "body_html": body_html,
            "body_text": body_text,
            "recipient_placeholder": _RECIPIENT,
            "unsubscribe_placeholder": _UNSUBSCRIBE,
            "preferences_url": f"{account}/newsletters/",
        }
        # Rendered with placeholders escaped as text; substituted per recipient, escaped too.
        html = css_inline.inline(_env.get_template("issue.html").render(context))
        default_name, address = parseaddr(settings.mail.from_address)
        domain = address.rsplit("@", 1)[-1] or "rose-ash.invalid"
        return cls(
            send_id=send_id,
            slug=slug,
            subject=subject,
            sender=formataddr((sender_name or default_name or settings.site.name, address)),
            envelope_from=address,
            reply_to=reply_to,
            list_id=f"{newsletter_name} <{slug}.{domain}>",
            html=html,
            text=_env.get_template("issue.txt").render(context),
            account_url=account,
            msgid_domain=domain,
        )

    def message(self, email: str, token: str, delivery_id: int) -> EmailMessage:
        """This recipient's copy, with both RFC 8058 headers."""
        link = f"{self.account_url}/newsletters/{self.slug}/unsubscribe/{token}"
        message = EmailMessage(policy=SMTP)
        message["From"] = self.sender
        message["To"] = email
        message["Subject"] = self.subject
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Message-ID"] = make_msgid(f"issue{self.send_id}.{delivery_id}", self.msgid_domain)
        message["List-Id"] = self.list_id
        mailto = f"mailto:{self.envelope_from}?subject={quote('unsubscribe ' + token)}"
        message["List-Unsubscribe"] = f"<{link}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Precedence"] = "bulk"
        message["Auto-Submitted"] = "auto-generated"
        text = self.text.replace(_RECIPIENT, email).replace(_UNSUBSCRIBE, link)
        message.set_content(text)
        html = self.html.replace(_RECIPIENT, html_lib.escape(email)).replace(
            _UNSUBSCRIBE, html_lib.escape(link)
        )
        message.add_alternative(html, subtype="html")
        return message

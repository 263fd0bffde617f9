"""One issue as mail: HTML with its CSS inlined (css-inline) plus plain text, from templates.

The templates are rendered and inlined once per send, and the message is
serialized once by the email package with markers where each copy differs;
a recipient's copy fills in its address, unsubscribe link and Message-ID, and
the base64 of its own two bodies. 10,000 copies cost 10,000 substitutions,
not 10,000 inlinings or MIME serializations (the email package takes ~5 ms a
message on a loaded host: it would be the send's bottleneck). The
unsubscribe link is per recipient and per list (its subscription's opaque
token), so a forwarded issue can only unsubscribe its recipient from that list.
"""

from __future__ import annotations

import base64
import html as html_lib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import quote

import css_inline
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.infrastructure.config import Settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "newsletters" / "mail"
_RECIPIENT = "RA-RECIPIENT-ADDRESS"
_UNSUBSCRIBE = "https://ra-unsubscribe-link.invalid/"
# Markers in the once-serialized message, replaced in each copy.
_TO = "ra-recipient-marker@to.invalid"
_TOKEN = "RA-TOKEN-MARKER"
_MSGID = "ra-msgid-marker@id.invalid"
_TEXT_MARK = "RA-TEXT-BODY-MARKER"
_HTML_MARK = "RA-HTML-BODY-MARKER"


def _base64_lines(text: str) -> bytes:
    """A body as the email package encodes it: CRLF lines, a final CRLF, base64 in 76s."""
    data = "".join(line + "\r\n" for line in text.splitlines()).encode()
    return base64.encodebytes(data).rstrip(b"\n").replace(b"\n", b"\r\n")


_B64_TEXT = _base64_lines(_TEXT_MARK)  # one line: shorter than 76
_B64_HTML = _base64_lines(_HTML_MARK)
# Headers on one line (RFC 5322 allows 998): folded, a long List-Unsubscribe URL would be
# turned into an RFC 2047 encoded-word, which mail clients do not read as a URL.
_POLICY = SMTP.clone(max_line_length=998)
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
    _template: bytes = field(default=b"", repr=False)

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
        issue = cls(
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
        template = issue._build(_TO, _TOKEN, _MSGID, _TEXT_MARK, _HTML_MARK).as_bytes()
        object.__setattr__(issue, "_template", template)
        return issue

    def as_bytes(self, email: str, token: str, delivery_id: int) -> bytes:
        """This recipient's copy, serialized (the same bytes `message()` would give)."""
        if not email.isascii():  # an SMTPUTF8 address: let the email package encode it
            return self.message(email, token, delivery_id).as_bytes()
        text, html = self._bodies(email, token)
        return (
            self._template.replace(_TO.encode(), email.encode())
            .replace(_TOKEN.encode(), quote(token, safe="").encode())
            .replace(_MSGID.encode(), self._msgid(delivery_id)[1:-1].encode())
            .replace(_B64_TEXT, _base64_lines(text))
            .replace(_B64_HTML, _base64_lines(html))
        )

    def _msgid(self, delivery_id: int) -> str:
        return f"<issue{self.send_id}.{delivery_id}@{self.msgid_domain}>"

    def _link(self, token: str) -> str:
        return f"{self.account_url}/newsletters/{self.slug}/unsubscribe/{token}"

    def _bodies(self, email: str, token: str) -> tuple[str, str]:
        link = self._link(token)
        text = self.text.replace(_RECIPIENT, email).replace(_UNSUBSCRIBE, link)
        html = self.html.replace(_RECIPIENT, html_lib.escape(email)).replace(
            _UNSUBSCRIBE, html_lib.escape(link)
        )
        return text, html

    def message(self, email: str, token: str, delivery_id: int) -> EmailMessage:
        """This recipient's copy, with both RFC 8058 headers."""
        text, html = self._bodies(email, token)
        return self._build(email, token, self._msgid(delivery_id)[1:-1], text, html)

    def _build(self, email: str, token: str, msgid: str, text: str, html: str) -> EmailMessage:
        message = EmailMessage(policy=_POLICY)
        message["From"] = self.sender
        message["To"] = email
        message["Subject"] = self.subject
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Message-ID"] = f"<{msgid}>"
        message["List-Id"] = self.list_id
        mailto = f"mailto:{self.envelope_from}?subject=unsubscribe%20{quote(token, safe='')}"
        message["List-Unsubscribe"] = f"<{self._link(quote(token, safe=''))}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Precedence"] = "bulk"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text, cte="base64")
        message.add_alternative(html, subtype="html", cte="base64")
        return message

"""A recipient's copy made from the once-serialized issue is the message the email
package makes for that recipient: same headers, same bodies."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from shared.infrastructure.config import Settings
from shared.services.newsletters.issue_mail import IssueMail
from shared.services.newsletters.sends import html_of


@pytest.mark.parametrize(
    ("email", "token"),
    [("ada@example.test", "t0k_-" * 8), ("o'brien+news@example.test", "Zz" * 20)],
)
def test_a_copy_from_the_template_equals_the_email_packages_message(
    settings: Settings, email: str, token: str
) -> None:
    text = "Grüße from the market.\n\nRye & <spelt> are back.\n" * 40
    issue = IssueMail.render(
        settings,
        send_id=3,
        slug="weekly",
        newsletter_name="Wöchentlich",
        sender_name="Rose Ash Co-op",
        reply_to="ed@example.test",
        subject="Market news: Ümlauts & more",
        body_html=html_of(text),
        body_text=text,
    )
    fast = message_from_bytes(issue.as_bytes(email, token, 11), policy=policy.default)
    made = message_from_bytes(issue.message(email, token, 11).as_bytes(), policy=policy.default)

    def headers(message: object) -> list[tuple[str, str]]:
        return [(k, str(v).strip()) for k, v in message.items() if k != "Content-Type"]  # type: ignore[attr-defined]

    assert headers(fast) == headers(made)
    assert fast["To"] == email and token in str(fast["List-Unsubscribe"])
    for kind in ("plain", "html"):
        fast_body = fast.get_body((kind,))
        made_body = made.get_body((kind,))
        assert fast_body is not None and made_body is not None
        assert fast_body.get_content() == made_body.get_content()
    html = fast.get_body(("html",))
    assert html is not None and "Rye &amp; &lt;spelt&gt;" in html.get_content()

"""The send job against the SMTP stand-in: both unsubscribe headers on every mail, one-click
unsubscribe from that list only, hard bounces suppressed, soft ones retried."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import JobContext
from shared.models.newsletters import (
    EmailSuppression,
    NewsletterDelivery,
    NewsletterSend,
    NewsletterSubscription,
)
from shared.services.newsletters import sends
from shared.services.newsletters.delivery import SoftFailures, send_issue
from tests.conftest import AppFactory
from tests.services.newsletters.conftest import make_list


async def queue_issue(
    sessions: async_sessionmaker[AsyncSession], newsletter_id: int, subject: str
) -> int:
    async with sessions() as session, session.begin():
        return await sends.create_issue(
            session, newsletter_id, subject, f"Hello.\n\n{subject} inside."
        )


async def test_every_issue_mail_carries_both_unsubscribe_headers_and_inlined_css(
    committed: async_sessionmaker[AsyncSession], job_context: JobContext, smtp: SmtpStandIn
) -> None:
    people = [f"reader{n}@example.test" for n in range(5)]
    newsletter_id, tokens = await make_list(committed, "weekly", people, reply_to="ed@example.test")
    send_id = await queue_issue(committed, newsletter_id, "Issue one")
    await send_issue(job_context, {"send_id": send_id})
    assert sorted(r for m in smtp.received for r in m.recipients) == sorted(people)
    for person in people:
        [mail] = smtp.to(person)
        link = f"http://account.localhost:9705/newsletters/weekly/unsubscribe/{tokens[person]}"
        https, mailto = re.findall(r"<([^>]+)>", mail.header("List-Unsubscribe") or "")
        assert https == link
        assert mailto.startswith("mailto:") and tokens[person] in mailto
        assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
        assert mail.header("Reply-To") == "ed@example.test"
        assert link in mail.text and "Issue one inside." in mail.text
        assert 'style="' in mail.html and "<style" not in mail.html, "CSS is inlined"
        assert f'href="{link}"' in mail.html
    async with committed() as session:
        send = await session.get(NewsletterSend, send_id)
        assert send is not None and (send.status, send.recipient_count) == ("sent", 5)


async def test_a_one_click_post_without_cookie_unsubscribes_that_recipient_from_that_list_only(
    committed: async_sessionmaker[AsyncSession],
    job_context: JobContext,
    smtp: SmtpStandIn,
    make_app: AppFactory,
    mail_settings: Settings,
) -> None:
    weekly, _ = await make_list(committed, "weekly", ["ada@example.test", "bo@example.test"])
    await make_list(committed, "market", ["ada@example.test"])
    await send_issue(job_context, {"send_id": await queue_issue(committed, weekly, "One")})
    [mail] = smtp.to("ada@example.test")
    url = (mail.header("List-Unsubscribe") or "").split(">")[0].lstrip("<")
    app = await make_app("account", app_settings=mail_settings, bind=False)
    client = app.test_client()
    response = await client.post(
        urlsplit(url).path,
        form={"List-Unsubscribe": "One-Click"},
        headers={"Origin": "https://mail.example.test"},
    )
    assert response.status_code == 200
    assert "You are unsubscribed" in await response.get_data(as_text=True)
    async with committed() as session:
        rows = await session.execute(
            select(
                NewsletterSubscription.email,
                NewsletterSubscription.newsletter_id,
                NewsletterSubscription.status,
            )
        )
        states = {(email, nid): status for email, nid, status in rows}
    assert states[("ada@example.test", weekly)] == "unsubscribed"
    assert states[("bo@example.test", weekly)] == "confirmed"
    assert [s for (e, n), s in states.items() if e == "ada@example.test" and n != weekly] == [
        "confirmed"
    ]
    # The next issue goes to the others, not to her.
    await send_issue(job_context, {"send_id": await queue_issue(committed, weekly, "Two")})
    assert [m.subject for m in smtp.to("ada@example.test")] == ["One"]
    assert [m.subject for m in smtp.to("bo@example.test")] == ["One", "Two"]


async def test_an_address_that_answered_550_is_suppressed_and_not_mailed_again(
    committed: async_sessionmaker[AsyncSession], job_context: JobContext, smtp: SmtpStandIn
) -> None:
    smtp.refuse["gone@example.test"] = "550 5.1.1 No such user here"
    newsletter_id, _ = await make_list(
        committed, "weekly", ["gone@example.test", "ok@example.test"]
    )
    first = await queue_issue(committed, newsletter_id, "One")
    await send_issue(job_context, {"send_id": first})
    assert smtp.refusals == [("gone@example.test", "550 5.1.1 No such user here")]
    async with committed() as session:
        [suppressed] = await session.scalars(select(EmailSuppression))
        assert suppressed.email == "gone@example.test" and "550" in suppressed.reason
        failed = await session.scalar(
            select(NewsletterDelivery).where(NewsletterDelivery.email == "gone@example.test")
        )
        assert failed is not None and failed.status == "failed"
    second = await queue_issue(committed, newsletter_id, "Two")
    await send_issue(job_context, {"send_id": second})
    assert len(smtp.refusals) == 1, "the suppressed address was not even tried"
    assert smtp.to("gone@example.test") == []
    assert [m.subject for m in smtp.to("ok@example.test")] == ["One", "Two"]
    async with committed() as session:
        progress = {p.id: p for p in await sends.list_sends(session, newsletter_id)}
    assert (progress[second].sent, progress[second].failed, progress[second].queued) == (1, 1, 0)


async def test_a_4xx_answer_is_retried_later_and_delivered_once(
    committed: async_sessionmaker[AsyncSession], job_context: JobContext, smtp: SmtpStandIn
) -> None:
    smtp.refuse["full@example.test"] = "452 4.2.2 Mailbox full"
    newsletter_id, _ = await make_list(
        committed, "weekly", ["full@example.test", "ok@example.test"]
    )
    send_id = await queue_issue(committed, newsletter_id, "One")
    with pytest.raises(SoftFailures):
        await send_issue(job_context, {"send_id": send_id})
    async with committed() as session:
        assert not list(await session.scalars(select(EmailSuppression)))
    del smtp.refuse["full@example.test"]
    await send_issue(job_context, {"send_id": send_id})  # the runner's retry
    assert len(smtp.to("full@example.test")) == 1
    assert len(smtp.to("ok@example.test")) == 1
    async with committed() as session:
        send = await session.get(NewsletterSend, send_id)
        assert send is not None and send.status == "sent"

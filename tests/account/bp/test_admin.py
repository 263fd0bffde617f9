"""Admins manage newsletters (name, sender, reply-to, sign-up), send a standalone issue and
watch its progress, and see and lift suppressions; members are refused."""

from __future__ import annotations

import re

import pytest
from quart import Quart
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import JobContext
from shared.models.jobs import Job
from shared.models.newsletters import EmailSuppression, Newsletter, NewsletterSubscription
from shared.services.newsletters.delivery import send_issue
from shared.services.newsletters.suppressions import suppress
from tests.account.bp.test_preferences import csrf, member_in, signed_in
from tests.conftest import AppFactory
from tests.services.newsletters.conftest import make_list


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


async def test_an_admin_creates_a_newsletter_sends_an_issue_and_sees_its_progress(
    account: Quart, committed: async_sessionmaker[AsyncSession], job_context: JobContext
) -> None:
    admin = await member_in(committed, "editor", is_admin=True)
    client = signed_in(account, admin)
    token = await csrf(client, "/admin/newsletters/")  # its footer's signup is now cached
    response = await client.post(
        "/admin/newsletters/",
        form={
            "csrf_token": token,
            "name": "Garden notes",
            "sender_name": "The Garden Group",
            "reply_to": "garden@example.test",
            "subscribe_on_signup": "on",
        },
    )
    assert response.status_code == 303
    footer = (await (await client.get("/admin/newsletters/")).get_data(as_text=True)).split(
        "<footer", 1
    )[1]
    assert "Garden notes" in footer, "the cached signup form was dropped with the change"
    async with committed() as session:
        made = await session.scalar(select(Newsletter))
    assert made is not None
    assert (made.slug, made.sender_name, made.reply_to, made.subscribe_on_signup) == (
        "garden-notes",
        "The Garden Group",
        "garden@example.test",
        True,
    )
    await make_list(committed, "other", [])  # a second list, to show only this one's issues
    async with committed() as session, session.begin():
        session.add(
            NewsletterSubscription(
                newsletter_id=made.id,
                email="reader@example.test",
                status="confirmed",
                unsubscribe_token="garden-reader-token-0123456789",
            )
        )
    page_path = f"/admin/newsletters/{made.id}/"
    response = await client.post(
        f"{page_path}issues",
        form={"csrf_token": token, "subject": "Seed swap", "text": "Saturday, ten o'clock."},
    )
    assert response.status_code == 303
    async with committed() as session:
        [job] = await session.scalars(select(Job).where(Job.kind == "newsletters.send"))
    await send_issue(job_context, job.payload)
    html = await (await client.get(page_path)).get_data(as_text=True)
    row = re.search(r"<tr><td>Seed swap</td>(.*?)</tr>", html)
    assert row is not None
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["sent", "0", "1", "0"]


async def test_a_bad_newsletter_or_issue_is_a_400_naming_it(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    admin = await member_in(committed, "editor", is_admin=True)
    client = signed_in(account, admin)
    token = await csrf(client, "/admin/newsletters/")
    response = await client.post("/admin/newsletters/", form={"csrf_token": token, "name": ""})
    assert response.status_code == 400
    assert "Give the newsletter a name" in await response.get_data(as_text=True)
    bad_reply = await client.post(
        "/admin/newsletters/", form={"csrf_token": token, "name": "X", "reply_to": "nope"}
    )
    assert bad_reply.status_code == 400
    weekly, _ = await make_list(committed, "weekly", [])
    empty = await client.post(
        f"/admin/newsletters/{weekly}/issues",
        form={"csrf_token": token, "subject": "", "text": "x"},
    )
    assert empty.status_code == 400 and "subject" in await empty.get_data(as_text=True)
    async with committed() as session:
        assert list(await session.scalars(select(Job))) == []
        assert len(list(await session.scalars(select(Newsletter)))) == 1


async def test_an_admin_sees_the_suppression_list_and_lifts_an_address(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    admin = await member_in(committed, "editor", is_admin=True)
    async with committed() as session, session.begin():
        await suppress(session, "gone@example.test", "hard bounce: 550 No such user")
    client = signed_in(account, admin)
    html = await (await client.get("/admin/newsletters/suppressions")).get_data(as_text=True)
    assert "gone@example.test" in html and "550 No such user" in html
    token = await csrf(client, "/admin/newsletters/suppressions")
    response = await client.post(
        "/admin/newsletters/suppressions/lift",
        form={"csrf_token": token, "email": "gone@example.test"},
    )
    assert response.status_code == 303
    async with committed() as session:
        assert list(await session.scalars(select(EmailSuppression))) == []


@pytest.mark.parametrize(
    "path", ["/admin/newsletters/", "/admin/newsletters/suppressions", "/admin/newsletters/1/"]
)
async def test_a_member_who_is_not_an_admin_is_refused(
    account: Quart, committed: async_sessionmaker[AsyncSession], path: str
) -> None:
    member = await member_in(committed, "reader")
    response = await signed_in(account, member).get(path)
    assert response.status_code == 403

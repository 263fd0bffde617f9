"""A member's newsletters page: choose what to receive, see a bounce suppression and lift it;
nobody else's subscriptions or suppressions are touched."""

from __future__ import annotations

import re

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.dtos import UserRecord
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from shared.models.newsletters import EmailSuppression, NewsletterSubscription
from shared.services.newsletters.suppressions import suppress
from tests.conftest import AppFactory
from tests.services.newsletters.conftest import make_list
from tests.support.factories import make_user


async def member_in(
    sessions: async_sessionmaker[AsyncSession], username: str, **fields: object
) -> UserRecord:
    async with sessions() as session, session.begin():
        user = await make_user(session, username, **fields)
        return UserRecord(user.id, user.username, user.display_name, user.email, user.is_admin)


def signed_in(app: Quart, viewer: UserRecord) -> Client:
    @app.before_request
    async def sign_in() -> None:  # what single sign-on does for a member
        set_viewer(viewer)

    return app.test_client()


async def csrf(client: Client, path: str) -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


async def statuses(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[str, int], str]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                NewsletterSubscription.email,
                NewsletterSubscription.newsletter_id,
                NewsletterSubscription.status,
            )
        )
        return {(email, nid): status for email, nid, status in rows}


async def test_a_member_chooses_the_newsletters_they_receive(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "ada")
    weekly, _ = await make_list(committed, "weekly", [ada.email, "bo@example.test"])
    market, _ = await make_list(committed, "market", [])
    client = signed_in(account, ada)
    html = await (await client.get("/newsletters/")).get_data(as_text=True)
    page = html.split("<main", 1)[1].split("</main>", 1)[0]  # not the footer's signup form
    assert re.search(rf'value="{weekly}" checked', page)
    assert not re.search(rf'value="{market}" checked', page)
    token = await csrf(client, "/newsletters/")
    response = await client.post(
        "/newsletters/", form={"csrf_token": token, "newsletter_id": str(market)}
    )
    assert response.status_code == 303
    assert await statuses(committed) == {
        (ada.email, weekly): "unsubscribed",
        (ada.email, market): "confirmed",
        ("bo@example.test", weekly): "confirmed",
    }
    page = await (await client.get("/newsletters/?saved=1")).get_data(as_text=True)
    assert "Your newsletters are saved." in page


async def test_a_member_sees_their_bounce_suppression_and_lifts_only_their_own(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "ada")
    async with committed() as session, session.begin():
        await suppress(session, ada.email, "hard bounce: 550 5.1.1 No such user")
        await suppress(session, "other@example.test", "hard bounce: 550")
    client = signed_in(account, ada)
    page = await (await client.get("/newsletters/")).get_data(as_text=True)
    assert "Mail to your address bounced" in page and "550 5.1.1" in page
    assert "other@example.test" not in page
    token = await csrf(client, "/newsletters/")
    response = await client.post(
        "/newsletters/suppression/lift", form={"csrf_token": token, "email": "other@example.test"}
    )
    assert response.status_code == 303
    async with committed() as session:
        left = list(await session.scalars(select(EmailSuppression.email)))
    assert left == ["other@example.test"], "the member lifts their own address, whatever is posted"


async def test_the_preferences_page_wants_a_signed_in_member(account: Quart) -> None:
    client = account.test_client()
    assert (await client.get("/newsletters/")).status_code == 302
    assert (await client.post("/newsletters/suppression/lift")).status_code in (400, 401, 403)

"""Subscribing by email (double opt-in), confirming by POST only, unsubscribing, and the
bad input each step refuses with a clear message and nothing changed."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from quart.typing import TestClientProtocol as Client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.models.newsletters import NewsletterSubscription
from shared.services.newsletters.tokens import make_confirm_token
from tests.conftest import TEST_SECRET_KEY, AppFactory
from tests.services.newsletters.conftest import make_list

BLOG = {"Origin": "http://blog.localhost:9700"}


@pytest.fixture
async def client(make_app: AppFactory, mail_settings: Settings) -> Client:
    app = await make_app("account", app_settings=mail_settings, bind=False)
    return app.test_client()


async def subscriptions(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[str, int], str]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                NewsletterSubscription.email,
                NewsletterSubscription.newsletter_id,
                NewsletterSubscription.status,
            )
        )
        return {(email, nid): status for email, nid, status in rows}


async def subscribe(client: Client, email: str, *ids: int) -> tuple[int, str]:
    body = urlencode({"email": email, "newsletter_id": [str(i) for i in ids]}, doseq=True)
    headers = {**BLOG, "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/newsletters/subscribe", data=body, headers=headers)
    return response.status_code, await response.get_data(as_text=True)


def confirm_path(smtp: SmtpStandIn, email: str) -> str:
    mail = smtp.wait_for(to=email, subject="Confirm")
    [link] = [url for url in mail.links() if "/newsletters/confirm" in url]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def press_confirm(client: Client, path: str) -> tuple[int, str]:
    page = await client.get(path)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200, html
    form = dict(re.findall(r'name="(csrf_token|token)" value="([^"]+)"', html))
    response = await client.post("/newsletters/confirm", form=form)
    return response.status_code, await response.get_data(as_text=True)


async def test_subscribing_mails_a_link_whose_get_subscribes_nobody_and_whose_button_does(
    client: Client, smtp: SmtpStandIn, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, _ = await make_list(committed, "weekly", [])
    status, html = await subscribe(client, "new@example.test", weekly)
    assert status == 303, html
    assert await subscriptions(committed) == {}, "no subscriber row before confirmation"
    path = confirm_path(smtp, "new@example.test")
    for _ in range(3):  # a mail scanner following the link, more than once
        page = await client.get(path)
        assert page.status_code == 200
        assert "Confirm" in await page.get_data(as_text=True)
    assert await subscriptions(committed) == {}
    status, html = await press_confirm(client, path)
    assert status == 200 and "You are subscribed" in html
    assert await subscriptions(committed) == {("new@example.test", weekly): "confirmed"}


async def test_a_confirm_link_replayed_after_unsubscribing_subscribes_nobody(
    client: Client, smtp: SmtpStandIn, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, _ = await make_list(committed, "weekly", [])
    await subscribe(client, "ada@example.test", weekly)
    path = confirm_path(smtp, "ada@example.test")
    assert (await press_confirm(client, path))[0] == 200
    async with committed() as session:
        token = await session.scalar(select(NewsletterSubscription.unsubscribe_token))
    response = await client.post(
        f"/newsletters/weekly/unsubscribe/{token}", form={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    replay = await client.get(path)
    assert replay.status_code == 409
    assert "already been used" in await replay.get_data(as_text=True)
    assert await subscriptions(committed) == {("ada@example.test", weekly): "unsubscribed"}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("not-an-address", "Enter an email address"),
        ("a@b", "Enter an email address"),
        ("", "Enter"),
    ],
)
async def test_an_invalid_email_is_a_400_naming_it_and_mails_nothing(
    client: Client,
    smtp: SmtpStandIn,
    committed: async_sessionmaker[AsyncSession],
    email: str,
    expected: str,
) -> None:
    weekly, _ = await make_list(committed, "weekly", [])
    status, html = await subscribe(client, email, weekly)
    assert status == 400 and expected in html
    assert smtp.received == []


async def test_an_already_subscribed_email_is_a_409_and_mails_nothing(
    client: Client, smtp: SmtpStandIn, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, _ = await make_list(committed, "weekly", ["ada@example.test"])
    status, html = await subscribe(client, "ADA@example.test".replace("ADA", "ada"), weekly)
    assert status == 409 and "already subscribed" in html
    assert smtp.received == []


async def test_an_unknown_newsletter_or_a_foreign_origin_is_refused(
    client: Client, smtp: SmtpStandIn, committed: async_sessionmaker[AsyncSession]
) -> None:
    assert (await subscribe(client, "ada@example.test", 999))[0] == 400
    response = await client.post(
        "/newsletters/subscribe",
        form={"email": "ada@example.test", "newsletter_id": "1"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert smtp.received == []


async def test_a_forged_or_expired_confirm_token_is_refused(
    client: Client, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, _ = await make_list(committed, "weekly", [])
    forged = make_confirm_token(
        "another-secret-that-is-long-enough-0123456789", "x@y.test", (weekly,)
    )
    for token in (forged, "garbage", ""):
        response = await client.get(f"/newsletters/confirm?token={token}")
        assert response.status_code == 404
        assert "not valid" in await response.get_data(as_text=True)
    genuine = make_confirm_token(TEST_SECRET_KEY, "x@y.test", (weekly,))
    page = await client.get(f"/newsletters/confirm?token={genuine}")
    assert page.status_code == 200
    assert await subscriptions(committed) == {}


async def test_a_forged_or_another_lists_unsubscribe_token_changes_nothing(
    client: Client, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, tokens = await make_list(committed, "weekly", ["ada@example.test"])
    market, _ = await make_list(committed, "market", ["ada@example.test"])
    token = tokens["ada@example.test"]
    for path in (
        f"/newsletters/market/unsubscribe/{token}",  # weekly's token on market's URL
        "/newsletters/weekly/unsubscribe/forged-token-0123456789",
    ):
        for response in (
            await client.get(path),
            await client.post(path, form={"List-Unsubscribe": "One-Click"}),
        ):
            assert response.status_code == 404
            assert "not valid" in await response.get_data(as_text=True)
    assert await subscriptions(committed) == {
        ("ada@example.test", weekly): "confirmed",
        ("ada@example.test", market): "confirmed",
    }


async def test_the_unsubscribe_get_shows_a_button_and_changes_nothing(
    client: Client, committed: async_sessionmaker[AsyncSession]
) -> None:
    weekly, tokens = await make_list(committed, "weekly", ["ada@example.test"])
    response = await client.get(f"/newsletters/weekly/unsubscribe/{tokens['ada@example.test']}")
    html = await response.get_data(as_text=True)
    assert response.status_code == 200 and "<button" in html
    assert await subscriptions(committed) == {("ada@example.test", weekly): "confirmed"}
    async with committed() as session:
        assert await session.scalar(select(func.count(NewsletterSubscription.id))) == 1

"""Signing up and in by a mailed link, in process: no password needed; the link's page
signs in only with a POST; a used or expired link is refused saying which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.oidc.sessions import ProviderSessions
from shared.models.identity import AccountToken, User
from tests.conftest import AppFactory
from tests.federation.conftest import csrf, federation, link_in, member, provider_cookie


async def sign_up_without_password(client: Client, username: str) -> str:
    form = {
        "csrf_token": await csrf(client, "/signup"),
        "email": f"{username}@example.test",
        "username": username,
        "display_name": username.title(),
        "password": "",
        "next": "/",
    }
    response = await client.post("/signup", form=form)
    assert response.status_code == 200
    return await response.get_data(as_text=True)


async def use_link(client: Client, token: str, next_path: str = "/") -> tuple[int, str]:
    form = {"csrf_token": await csrf(client, "/signin"), "token": token, "next": next_path}
    response = await client.post("/signin/link", form=form)
    return response.status_code, response.headers.get("Location") or await response.get_data(
        as_text=True
    )


async def test_a_member_signs_up_without_a_password_and_in_by_the_mailed_link(
    db: AsyncSession,
    make_app: AppFactory,
    settings: Settings,
    smtp_inproc: SmtpStandIn,
    redis: Redis,
) -> None:
    client = await federation(make_app, settings, smtp_inproc)

    told = await sign_up_without_password(client, "lina")
    assert "Check your email" in told and provider_cookie(client) is None

    mail = smtp_inproc.wait_for(to="lina@example.test", subject="Finish signing up")
    page, token = link_in(mail, "/signin/link")
    opened = await client.get(page)
    assert opened.status_code == 200
    assert "Sign in as Lina" in await opened.get_data(as_text=True)
    assert provider_cookie(client) is None  # opening the link (a mail scanner) signs no one in

    assert await use_link(client, token) == (302, "/")
    cookie = provider_cookie(client)
    session = await ProviderSessions(redis, 3600).get(cookie)
    user = await db.scalar(select(User).where(User.username == "lina"))
    assert session is not None and user is not None and session.user_id == user.id
    assert user.password_hash is None and user.email_verified_at is not None


async def test_a_used_sign_in_link_is_refused_saying_it_was_used(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "omar")
    client = await federation(make_app, settings, smtp_inproc)
    form = {"csrf_token": await csrf(client, "/signin"), "email": "omar@example.test"}
    asked = await client.post("/signin/email-link", form=form)
    assert "Check your email" in await asked.get_data(as_text=True)
    page, token = link_in(smtp_inproc.wait_for(to="omar@example.test"), "/signin/link")
    assert (await use_link(client, token))[0] == 302

    status, body = await use_link(client, token)
    again = await client.get(page)

    assert status == 400 and "was used already" in body
    assert again.status_code == 400 and "was used already" in await again.get_data(as_text=True)


async def test_an_expired_or_unknown_sign_in_link_is_refused_saying_which(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "pia")
    client = await federation(make_app, settings, smtp_inproc)
    form = {"csrf_token": await csrf(client, "/signin"), "email": "pia@example.test"}
    await client.post("/signin/email-link", form=form)
    _, token = link_in(smtp_inproc.wait_for(to="pia@example.test"), "/signin/link")
    await db.execute(
        update(AccountToken)
        .where(AccountToken.purpose == "magic_link")
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db.flush()

    expired = await use_link(client, token)
    unknown = await client.get("/signin/link?token=not-a-token")

    assert expired[0] == 400 and "has expired" in expired[1]
    assert unknown.status_code == 400
    assert "not one of ours" in await unknown.get_data(as_text=True)
    assert provider_cookie(client) is None


async def test_asking_for_a_link_for_an_unknown_address_answers_the_same(
    make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    client = await federation(make_app, settings, smtp_inproc)
    form = {"csrf_token": await csrf(client, "/signin"), "email": "nobody@example.test"}

    answer = await client.post("/signin/email-link", form=form)

    assert answer.status_code == 200
    assert "If nobody@example.test belongs to an account" in await answer.get_data(as_text=True)

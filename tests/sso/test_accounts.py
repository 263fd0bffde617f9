"""federation's account pages, in process: sign-in errors say nothing about which
field was wrong, sign-in is rate-limited, and a password is reset by a mailed link."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewMember
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.oidc.sessions import SsoSessions
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def smtp_inproc() -> Iterator[SmtpStandIn]:
    with SmtpStandIn() as stand_in:
        yield stand_in


async def federation(make_app: AppFactory, settings: Settings, smtp: SmtpStandIn) -> Client:
    mail = settings.mail.model_copy(update={"backend": "smtp", "smtp_port": smtp.port})
    app = await make_app("federation", app_settings=settings.model_copy(update={"mail": mail}))
    return app.test_client()


async def csrf(client: Client, path: str) -> str:
    html = await (await client.get(path)).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


async def member(db: AsyncSession, username: str) -> None:
    await SqlIdentityService().create_member(
        db, NewMember(f"{username}@example.test", username, username.title(), PASSWORD)
    )


async def sign_in(client: Client, login: str, password: str) -> tuple[int, str]:
    token = await csrf(client, "/signin")
    response = await client.post(
        "/signin", form={"csrf_token": token, "login": login, "password": password}
    )
    return response.status_code, await response.get_data(as_text=True)


async def test_a_wrong_password_and_an_unknown_member_get_the_same_answer(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "quinn")
    client = await federation(make_app, settings, smtp_inproc)

    wrong_password = await sign_in(client, "quinn", "not the password")
    unknown = await sign_in(client, "nobody-here", PASSWORD)

    assert wrong_password[0] == unknown[0] == 401
    message = "That email or username and password don&#39;t match"
    assert message in wrong_password[1] and message in unknown[1]
    status, _ = await sign_in(client, "Quinn@Example.test", PASSWORD)
    assert status == 302


async def test_repeated_failures_on_one_account_are_refused_with_429(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "riley")
    client = await federation(make_app, settings, smtp_inproc)
    for _ in range(5):
        assert (await sign_in(client, "riley", "guess"))[0] == 401

    status, html = await sign_in(client, "riley", PASSWORD)

    assert status == 429
    assert "Too many attempts" in html


async def test_a_password_is_reset_by_the_mailed_link_once(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "sam")
    client = await federation(make_app, settings, smtp_inproc)
    token = await csrf(client, "/password/forgot")
    answer = await client.post(
        "/password/forgot", form={"csrf_token": token, "email": "sam@example.test"}
    )
    assert "Check your email" in await answer.get_data(as_text=True)

    mail = smtp_inproc.wait_for(to="sam@example.test", subject="Reset your password")
    (link,) = [link for link in mail.links() if "/password/reset/" in link]
    path = "/password/reset/" + link.rsplit("/", 1)[1]
    form = {"csrf_token": await csrf(client, path), "password": "a brand new password"}
    assert (await client.post(path, form=form)).status_code == 200
    assert (await client.post(path, form=form)).status_code == 400  # used up

    assert (await sign_in(client, "sam", PASSWORD))[0] == 401
    assert (await sign_in(client, "sam", "a brand new password"))[0] == 302


async def test_a_password_reset_signs_the_member_out_everywhere(
    db: AsyncSession,
    make_app: AppFactory,
    settings: Settings,
    smtp_inproc: SmtpStandIn,
    redis: Redis,
) -> None:
    await member(db, "tess")
    user = await SqlIdentityService().get_user_by_username(db, "tess")
    assert user is not None
    sessions = SsoSessions(redis, lifetime_seconds=3600)
    laptop = await federation(make_app, settings, smtp_inproc)
    assert (await sign_in(laptop, "tess", PASSWORD))[0] == 302
    assert len(await sessions.sids_of(user.id)) == 1

    phone = await federation(make_app, settings, smtp_inproc)
    token = await csrf(phone, "/password/forgot")
    await phone.post("/password/forgot", form={"csrf_token": token, "email": "tess@example.test"})
    mail = smtp_inproc.wait_for(to="tess@example.test", subject="Reset your password")
    (link,) = [link for link in mail.links() if "/password/reset/" in link]
    path = "/password/reset/" + link.rsplit("/", 1)[1]
    form = {"csrf_token": await csrf(phone, path), "password": "a brand new password"}
    answer = await phone.post(path, form=form)

    assert "has been signed out" in await answer.get_data(as_text=True)
    assert await sessions.sids_of(user.id) == []
    # The laptop's provider cookie no longer opens a session.
    (cookie,) = [c.value for c in laptop.cookie_jar if c.name == "ra_sso"]  # type: ignore[union-attr]
    assert await sessions.get(cookie) is None

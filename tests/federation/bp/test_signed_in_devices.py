"""The member's signed-in devices on /security: each provider session listed with its
device and address, this browser marked; signing one out ends it (its cookie no longer
signs anyone in), "sign out everywhere else" keeps only this one, and another member's
row is a 404."""

from __future__ import annotations

import re

from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from federation.services.provider import provider_state
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory
from tests.federation.bp.test_security import (
    federation_app,
    post,
    sign_in_with_password,
    signed_in_as,
)
from tests.federation.conftest import PASSWORD, csrf, member, provider_cookie

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


async def browser(app: Quart, name: str, user_agent: str) -> Client:
    client = app.test_client()
    form = {"csrf_token": await csrf(client, "/signin"), "login": name, "password": PASSWORD}
    await client.post("/signin", form=form, headers={"User-Agent": user_agent})
    assert provider_cookie(client) is not None
    return client


async def devices_page(client: Client) -> str:
    return await (await client.get("/security")).get_data(as_text=True)


def rows(page: str) -> dict[str, str]:
    """Each listed device's digest and its row's text."""
    found = re.findall(r'<tr data-device="([0-9a-f]+)">(.*?)</tr>', page, re.S)
    return {digest: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for digest, row in found}


async def two_devices(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp: SmtpStandIn, name: str
) -> tuple[Quart, Client, Client]:
    await member(db, name)
    user = await SqlIdentityService().get_user_by_username(db, name)
    assert user is not None
    app = await federation_app(make_app, settings, smtp)
    await signed_in_as(app, user)
    return app, await browser(app, name, FIREFOX), await browser(app, name, PHONE)


async def test_the_devices_are_listed_with_this_one_marked(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, laptop, phone = await two_devices(db, make_app, settings, smtp_inproc, "dee")
    listed = rows(await devices_page(laptop))
    assert len(listed) == 2
    (this,) = [text for text in listed.values() if "(this device)" in text]
    assert "Firefox on Linux" in this
    assert any("Safari on iPhone" in text for text in listed.values())
    cookie = provider_cookie(phone)
    assert cookie is not None and not any(cookie in digest for digest in listed)
    assert "Applications you let sign you in" in await devices_page(laptop)


async def test_signing_out_one_device_ends_its_session(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    app, laptop, phone = await two_devices(db, make_app, settings, smtp_inproc, "dan")
    listed = rows(await devices_page(laptop))
    (phone_digest,) = [d for d, text in listed.items() if "iPhone" in text]

    status, _ = await post(laptop, f"/security/devices/{phone_digest}/sign-out")

    sessions = provider_state(app).provider_sessions(app)
    assert status == 302
    assert await sessions.get(provider_cookie(phone)) is None
    assert await sessions.get(provider_cookie(laptop)) is not None
    assert list(rows(await devices_page(laptop))) == [d for d in listed if d != phone_digest]


async def test_signing_out_everywhere_else_keeps_only_this_device(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    app, laptop, phone = await two_devices(db, make_app, settings, smtp_inproc, "dot")
    tablet = await browser(app, "dot", PHONE.replace("iPhone", "iPad"))

    status, _ = await post(laptop, "/security/devices/sign-out-others")

    sessions = provider_state(app).provider_sessions(app)
    assert status == 302
    assert await sessions.get(provider_cookie(phone)) is None
    assert await sessions.get(provider_cookie(tablet)) is None
    left = rows(await devices_page(laptop))
    assert len(left) == 1 and "(this device)" in next(iter(left.values()))


async def test_another_members_device_is_not_found(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    app, _, phone = await two_devices(db, make_app, settings, smtp_inproc, "dia")
    theirs = rows(await devices_page(phone))
    await member(db, "mallory")
    mallory = await SqlIdentityService().get_user_by_username(db, "mallory")
    assert mallory is not None
    other_app = await federation_app(make_app, settings, smtp_inproc)
    intruder = await signed_in_as(other_app, mallory)
    await sign_in_with_password(intruder, "mallory")

    for digest in [*theirs, "0" * 32, "not-a-digest"]:
        status, body = await post(intruder, f"/security/devices/{digest}/sign-out")
        assert status == 404 and "not one of your signed-in devices" in body
    sessions = provider_state(app).provider_sessions(app)
    assert await sessions.get(provider_cookie(phone)) is not None

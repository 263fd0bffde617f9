"""The security page and the second step of signing in, in process: an authenticator app
is set up from a QR code, then asked for after the password; six wrong codes are refused
with a clear message; a recovery code works once; a confirmation link can be resent."""

from __future__ import annotations

import re

import pyotp
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.viewer import set_viewer
from shared.models.identity import MemberPasskey, MemberTotp, User
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory
from tests.federation.conftest import (
    PASSWORD,
    csrf,
    federation,
    link_in,
    member,
    provider_cookie,
)


async def signed_in_as(app: Quart, user: UserRecord) -> Client:
    @app.before_request
    async def sign_in() -> None:  # what single sign-on does for a member
        set_viewer(user)

    return app.test_client()


async def federation_app(make_app: AppFactory, settings: Settings, smtp: SmtpStandIn) -> Quart:
    mail = settings.mail.model_copy(update={"backend": "smtp", "smtp_port": smtp.port})
    return await make_app("federation", app_settings=settings.model_copy(update={"mail": mail}))


async def post(client: Client, path: str, **fields: str) -> tuple[int, str]:
    form = {"csrf_token": await csrf(client, "/security"), **fields}
    response = await client.post(path, form=form)
    return response.status_code, await response.get_data(as_text=True)


async def enrol_totp(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up an authenticator app through the pages; its TOTP and the recovery codes."""
    await post(client, "/security/totp/start")
    page = await (await client.get("/security/totp")).get_data(as_text=True)
    assert "<svg" in page  # the QR code
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    assert found
    totp = pyotp.TOTP(found.group(1))
    status, shown = await post(client, "/security/totp/confirm", code=totp.now())
    assert status == 200
    return totp, re.findall(r"<li><code>([a-z0-9-]+)</code></li>", shown)


async def sign_in_with_password(client: Client, login: str) -> str | None:
    form = {"csrf_token": await csrf(client, "/signin"), "login": login, "password": PASSWORD}
    response = await client.post("/signin", form=form)
    return response.headers.get("Location")


async def second_factor(client: Client, code: str) -> tuple[int, str]:
    form = {"csrf_token": await csrf(client, "/signin"), "code": code}
    response = await client.post("/signin/second-factor", form=form)
    return response.status_code, response.headers.get("Location") or await response.get_data(
        as_text=True
    )


async def rewind_last_step(db: AsyncSession) -> None:
    """Let the current code count again (a real member would wait for the next one)."""
    await db.execute(update(MemberTotp).values(last_step=0))
    await db.flush()


async def test_a_member_sets_up_an_authenticator_app_and_is_asked_for_a_code(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "quin")
    user = await SqlIdentityService().get_user_by_username(db, "quin")
    assert user is not None
    app = await federation_app(make_app, settings, smtp_inproc)
    settings_page = await signed_in_as(app, user)

    totp, codes = await enrol_totp(settings_page)
    listed = await (await settings_page.get("/security")).get_data(as_text=True)
    browser = await federation(make_app, settings, smtp_inproc)
    asked = await sign_in_with_password(browser, "quin")
    await rewind_last_step(db)

    assert len(codes) == 10 and "10 recovery codes left" in listed
    assert asked == "/signin/second-factor" and provider_cookie(browser) is None
    assert await second_factor(browser, totp.now()) == (302, "/auth/login")
    assert provider_cookie(browser) is not None
    # The same code again (a replay) does not count.
    await sign_in_with_password(browser, "quin")
    assert (await second_factor(browser, totp.now()))[0] == 401


async def test_six_wrong_codes_are_refused_with_a_clear_message(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "rhea")
    user = await SqlIdentityService().get_user_by_username(db, "rhea")
    assert user is not None
    app = await federation_app(make_app, settings, smtp_inproc)
    totp, _ = await enrol_totp(await signed_in_as(app, user))
    await rewind_last_step(db)
    browser = await federation(make_app, settings, smtp_inproc)
    await sign_in_with_password(browser, "rhea")

    answers = [await second_factor(browser, "000000") for _ in range(5)]
    sixth = await second_factor(browser, "000000")
    right_but_late = await second_factor(browser, totp.now())

    assert all(status == 401 and "That code is not right" in body for status, body in answers)
    assert sixth[0] == 429 and "Too many attempts" in sixth[1]
    assert right_but_late[0] == 429  # even the right code waits out the window
    assert provider_cookie(browser) is None


async def test_a_recovery_code_signs_in_once(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "saul")
    user = await SqlIdentityService().get_user_by_username(db, "saul")
    assert user is not None
    app = await federation_app(make_app, settings, smtp_inproc)
    _, codes = await enrol_totp(await signed_in_as(app, user))
    browser = await federation(make_app, settings, smtp_inproc)

    await sign_in_with_password(browser, "saul")
    first = await second_factor(browser, codes[0].upper())
    await sign_in_with_password(browser, "saul")
    again = await second_factor(browser, codes[0])

    assert first == (302, "/auth/login")
    assert again[0] == 401


async def test_removing_the_authenticator_app_takes_a_code_and_stops_the_second_step(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "tova")
    user = await SqlIdentityService().get_user_by_username(db, "tova")
    assert user is not None
    app = await federation_app(make_app, settings, smtp_inproc)
    page = await signed_in_as(app, user)
    _, codes = await enrol_totp(page)

    refused = await post(page, "/security/totp/remove", code="000000")
    await post(page, "/security/totp/remove", code=codes[0])
    listed = await (await page.get("/security")).get_data(as_text=True)
    browser = await federation(make_app, settings, smtp_inproc)

    assert refused[0] == 400 and "stays on" in refused[1]
    assert "Set up an authenticator app" in listed
    assert await sign_in_with_password(browser, "tova") == "/auth/login"


async def test_an_unconfirmed_member_gets_a_new_confirmation_link(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "ugo")
    user = await SqlIdentityService().get_user_by_username(db, "ugo")
    assert user is not None
    app = await federation_app(make_app, settings, smtp_inproc)
    page = await signed_in_as(app, user)
    listed = await (await page.get("/security")).get_data(as_text=True)

    status, told = await post(page, "/email/resend")
    link, _ = link_in(
        smtp_inproc.wait_for(to="ugo@example.test", subject="Confirm"), "/email/verify"
    )
    confirmed = await page.get(link)

    assert "is not confirmed yet" in listed
    assert status == 200 and "new confirmation link" in told
    assert confirmed.status_code == 200
    verified = await db.scalar(
        User.__table__.select().with_only_columns(User.email_verified_at).where(User.id == user.id)
    )
    assert verified is not None


async def test_guessing_the_enrolment_code_is_limited_too(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "vic")
    user = await SqlIdentityService().get_user_by_username(db, "vic")
    assert user is not None
    page = await signed_in_as(await federation_app(make_app, settings, smtp_inproc), user)
    await post(page, "/security/totp/start")

    answers = [await post(page, "/security/totp/confirm", code="000000") for _ in range(6)]

    assert [status for status, _ in answers] == [400] * 5 + [429]
    assert "That code is not right" in answers[0][1]


async def test_a_member_with_a_passkey_is_asked_for_it_after_the_password(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    await member(db, "wim")
    user = await SqlIdentityService().get_user_by_username(db, "wim")
    assert user is not None
    db.add(MemberPasskey(user_id=user.id, credential_id=b"cred", public_key=b"key", name="Key"))
    await db.flush()
    browser = await federation(make_app, settings, smtp_inproc)

    asked = await sign_in_with_password(browser, "wim")
    page = await (await browser.get("/signin/second-factor")).get_data(as_text=True)

    assert asked == "/signin/second-factor" and provider_cookie(browser) is None
    assert "Use my passkey" in page and 'name="code"' not in page  # no authenticator app

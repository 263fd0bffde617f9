"""Changing the password and the email address on /security, in process with the SMTP
stand-in: a wrong current password or a weak new one is refused and changes nothing; a
change ends the other sessions and mails a notice; an email change completes only from
the link mailed to the new address, once, before it expires."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.services.provider import provider_state
from shared.contracts.dtos import NewMember, UserRecord
from shared.dev.smtp import SmtpStandIn
from shared.infrastructure.config import Settings
from shared.models.identity import AccountToken, User
from shared.services.identity import SqlIdentityService
from tests.conftest import AppFactory
from tests.federation.bp.test_security import (
    federation_app,
    post,
    sign_in_with_password,
    signed_in_as,
)
from tests.federation.conftest import PASSWORD, csrf, link_in, member, provider_cookie

NEW_PASSWORD = "a brand new passphrase"


async def setup(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp: SmtpStandIn, name: str
) -> tuple[Quart, UserRecord, Client]:
    await member(db, name)
    user = await SqlIdentityService().get_user_by_username(db, name)
    assert user is not None
    app = await federation_app(make_app, settings, smtp)
    page = await signed_in_as(app, user)
    await sign_in_with_password(page, name)
    return app, user, page


async def email_of(db: AsyncSession, user_id: int) -> str:
    found = await db.scalar(
        select(User.email).where(User.id == user_id).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def test_a_wrong_current_password_is_refused_naming_it(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, _, page = await setup(db, make_app, settings, smtp_inproc, "pam")
    status, body = await post(
        page, "/security/password", current_password="not it at all", new_password=NEW_PASSWORD
    )
    assert status == 400 and "That is not your current password." in body
    assert await SqlIdentityService().authenticate(db, "pam", PASSWORD) is not None


async def test_a_weak_new_password_is_refused_by_the_sign_up_rules(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, _, page = await setup(db, make_app, settings, smtp_inproc, "paz")
    status, body = await post(
        page, "/security/password", current_password=PASSWORD, new_password="short"
    )
    assert status == 400 and "at least 10 characters" in body
    assert await SqlIdentityService().authenticate(db, "paz", PASSWORD) is not None


async def test_a_password_change_ends_the_other_session_keeps_this_one_and_mails(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    app, user, page = await setup(db, make_app, settings, smtp_inproc, "pia")
    other = app.test_client()
    await sign_in_with_password(other, "pia")
    other_cookie, old_cookie = provider_cookie(other), provider_cookie(page)
    form = {
        "csrf_token": await csrf(page, "/security"),
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
    }
    response = await page.post("/security/password", form=form)

    sessions = provider_state(app).provider_sessions(app)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert await sessions.get(other_cookie) is None and await sessions.get(old_cookie) is None
    fresh = await sessions.get(provider_cookie(page))
    assert fresh is not None and fresh.user_id == user.id
    mail = smtp_inproc.wait_for(to="pia@example.test", subject="Your password was changed")
    assert "signed out" in mail.text
    assert await SqlIdentityService().authenticate(db, "pia", NEW_PASSWORD) is not None
    listed = await (await page.get("/security?changed=password")).get_data(as_text=True)
    assert "Every other device was signed out" in listed and listed.count("data-device=") == 1


async def test_a_member_without_a_password_sets_one_only_just_after_signing_in(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    app, user, page = await setup(db, make_app, settings, smtp_inproc, "pol")
    await db.execute(update(User).where(User.id == user.id).values(password_hash=None))
    await db.commit()
    # The sign-in was long ago: its provider session's auth_time moves back an hour.
    sessions = provider_state(app).provider_sessions(app)
    here = await sessions.get(provider_cookie(page))
    assert here is not None
    found = await sessions.details(here.sid)
    assert found is not None
    key = await sessions.redis.get(f"ra:op:sid:{here.sid}")
    data = {**found[0], "auth_time": here.auth_time - 3600}
    await sessions.redis.set(f"ra:op:session:{key.decode()}", json.dumps(data))
    page_html = await (await page.get("/security")).get_data(as_text=True)
    status, body = await post(page, "/security/password", new_password=NEW_PASSWORD)

    assert "first set a password below" in page_html
    assert status == 400 and "sign in again" in body
    assert not await db.scalar(select(User.password_hash).where(User.id == user.id))


async def test_an_email_change_mails_the_new_address_and_a_notice_to_the_old(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "eva")
    status, told = await post(
        page, "/security/email", email="eva.new@example.test", password=PASSWORD
    )
    link, _ = link_in(
        smtp_inproc.wait_for(to="eva.new@example.test", subject="Confirm your new"),
        "/security/email/confirm",
    )
    notice = smtp_inproc.wait_for(to="eva@example.test", subject="A change of your email")
    assert status == 200 and "eva.new@example.test" in told
    assert "eva.new@example.test" in notice.text
    assert not [u for u in notice.links() if "/security/email/confirm" in u]

    # A GET (a mail scanner) shows a button and changes nothing.
    shown = await page.get(link)
    assert shown.status_code == 200
    assert "Use eva.new@example.test" in await shown.get_data(as_text=True)
    assert await email_of(db, user.id) == "eva@example.test"

    token = link.split("token=", 1)[1]
    form = {"csrf_token": await csrf(page, link), "token": token}
    done = await page.post("/security/email/confirm", form=form)
    assert done.status_code == 200
    assert "Your address is now eva.new@example.test" in await done.get_data(as_text=True)
    assert await email_of(db, user.id) == "eva.new@example.test"

    again = await page.post("/security/email/confirm", form=form)
    assert again.status_code == 400
    assert "used already" in await again.get_data(as_text=True)
    assert (await page.get(link)).status_code == 400


async def test_an_expired_email_change_link_is_refused(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "eli")
    await post(page, "/security/email", email="eli.new@example.test", password=PASSWORD)
    link, token = link_in(
        smtp_inproc.wait_for(to="eli.new@example.test", subject="Confirm your new"),
        "/security/email/confirm",
    )
    await db.execute(
        update(AccountToken)
        .where(AccountToken.purpose == "email_change", AccountToken.user_id == user.id)
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await db.commit()
    form = {"csrf_token": await csrf(page, "/security"), "token": token}
    refused = await page.post("/security/email/confirm", form=form)
    assert refused.status_code == 400
    assert "expired" in await refused.get_data(as_text=True)
    assert (await page.get(link)).status_code == 400
    assert await email_of(db, user.id) == "eli@example.test"


async def test_a_session_with_the_old_address_cannot_complete_without_the_link(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "oda")
    await post(page, "/security/email", email="oda.new@example.test", password=PASSWORD)
    smtp_inproc.wait_for(to="oda.new@example.test", subject="Confirm your new")
    for token in ("", "x" * 43, "forged"):
        status, body = await post(page, "/security/email/confirm", token=token)
        assert status == 400 and "not one of ours" in body
    assert await email_of(db, user.id) == "oda@example.test"


async def test_bad_new_addresses_are_refused_and_change_nothing(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "bea")
    await member(db, "taken")
    cases = [
        ({"email": "not an address", "password": PASSWORD}, 400, "like name@example.com"),
        ({"email": "BEA@example.test", "password": PASSWORD}, 400, "already your address"),
        ({"email": "taken@example.test", "password": PASSWORD}, 409, "belongs to another"),
        ({"email": "bea2@example.test", "password": "wrong one!"}, 400, "current password"),
    ]
    for fields, code, message in cases:
        status, body = await post(page, "/security/email", **fields)
        assert (status, message in body) == (code, True), fields
    pending = await db.scalar(
        select(AccountToken.id)
        .where(AccountToken.purpose == "email_change")
        .where(AccountToken.user_id == user.id)
    )
    assert pending is None and await email_of(db, user.id) == "bea@example.test"


async def test_an_address_taken_after_the_link_was_mailed_is_refused_with_409(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "tia")
    await post(page, "/security/email", email="tia.new@example.test", password=PASSWORD)
    _, token = link_in(
        smtp_inproc.wait_for(to="tia.new@example.test", subject="Confirm your new"),
        "/security/email/confirm",
    )
    await SqlIdentityService().create_member(
        db, NewMember("tia.new@example.test", "tianew", "Someone", PASSWORD)
    )
    await db.commit()
    status, body = await post(page, "/security/email/confirm", token=token)
    assert status == 409 and "tia.new@example.test belongs to another account" in body
    assert await email_of(db, user.id) == "tia@example.test"


async def test_guessing_the_current_password_is_limited(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, _, page = await setup(db, make_app, settings, smtp_inproc, "gus")
    statuses = [
        (
            await post(
                page, "/security/password", current_password=f"guess {n}", new_password=NEW_PASSWORD
            )
        )[0]
        for n in range(6)
    ]
    right = await post(
        page, "/security/password", current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert statuses == [400] * 5 + [429]
    assert right[0] == 429 and "Too many attempts" in right[1]
    assert await SqlIdentityService().authenticate(db, "gus", PASSWORD) is not None


async def test_a_member_without_a_password_sets_one_just_after_signing_in(
    db: AsyncSession, make_app: AppFactory, settings: Settings, smtp_inproc: SmtpStandIn
) -> None:
    _, user, page = await setup(db, make_app, settings, smtp_inproc, "pen")
    await db.execute(update(User).where(User.id == user.id).values(password_hash=None))
    await db.commit()
    shown = await (await page.get("/security")).get_data(as_text=True)
    status, _ = await post(page, "/security/password", new_password=NEW_PASSWORD)
    assert "Set a password" in shown
    assert status == 302
    assert await SqlIdentityService().authenticate(db, "pen", NEW_PASSWORD) is not None

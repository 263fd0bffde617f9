"""Download my data: only after re-entering the member's own password, and only theirs."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from quart import Quart
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.config import Settings
from tests.account.bp.test_preferences import csrf, member_in, signed_in
from tests.account.member_data import give_things
from tests.conftest import AppFactory
from tests.services.newsletters.conftest import make_list
from tests.support.factories import make_author, make_post

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def account(make_app: AppFactory, mail_settings: Settings) -> Quart:
    return await make_app("account", app_settings=mail_settings, bind=False)


async def test_the_export_needs_the_members_own_password_and_holds_only_their_data(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    hashed = PasswordHasher().hash(PASSWORD)
    ada = await member_in(committed, "ada", password_hash=hashed)
    await member_in(committed, "bo", password_hash=PasswordHasher().hash("bo's own password"))
    await make_list(committed, "weekly", [ada.email, "bo@example.test"], name="The Weekly")
    client = signed_in(account, ada)
    token = await csrf(client, "/privacy/")
    for wrong in ("", "bo's own password", PASSWORD.upper()):
        refused = await client.post(
            "/privacy/export", form={"csrf_token": token, "password": wrong}
        )
        assert refused.status_code == 403
        assert "nothing was exported" in await refused.get_data(as_text=True)
    response = await client.post(
        "/privacy/export", form={"csrf_token": token, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    archive = json.loads(await response.get_data(as_text=True))
    assert archive["profile"]["email"] == ada.email
    [subscription] = archive["newsletters"]["subscriptions"]
    assert (subscription["newsletter"], subscription["email"]) == ("The Weekly", ada.email)
    assert "bo@example.test" not in json.dumps(archive)
    assert "not_included" not in archive


async def test_the_export_holds_the_members_orders_tickets_bookings_posts_and_follows(
    account: Quart, committed: async_sessionmaker[AsyncSession]
) -> None:
    ada = await member_in(committed, "exporting_ada", password_hash=PasswordHasher().hash(PASSWORD))
    bo = await member_in(committed, "exporting_bo")
    mine = await give_things(committed, ada.id, "Ada's")
    theirs = await give_things(committed, bo.id, "Bo's")
    async with committed() as session, session.begin():
        author = await make_author(session, "Ada L.")
        author.user_id = ada.id
        await make_post(session, "Notes on the engine", authors=[author], html="<p>Cogs</p>")
        await make_post(session, "Someone else's post")
    client = signed_in(account, ada)
    token = await csrf(client, "/privacy/")
    response = await client.post(
        "/privacy/export", form={"csrf_token": token, "password": PASSWORD}
    )
    archive = json.loads(await response.get_data(as_text=True))
    numbers = {order["number"] for order in archive["orders"]}
    assert mine.pending_number in numbers and theirs.pending_number not in numbers
    [line] = archive["orders"][0]["lines"]
    assert (line["title"], line["quantity"], line["unit_price_minor"]) == (
        "Ada's sourdough",
        2,
        450,
    )
    assert [t["code"] for t in archive["tickets"]] == [mine.ticket_code]
    assert [b["event"] for b in archive["bookings"]] == ["Ada's lantern walk"]
    assert [p["title"] for p in archive["posts"]] == ["Notes on the engine"]
    assert archive["following"] == [] and "newsletters" in archive
    assert theirs.ticket_code not in json.dumps(archive)


async def test_the_export_wants_a_signed_in_member(account: Quart) -> None:
    client = account.test_client()
    assert (await client.get("/privacy/")).status_code == 302
    assert (await client.post("/privacy/export")).status_code in (400, 401, 403)

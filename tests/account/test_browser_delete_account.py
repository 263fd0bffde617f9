"""A member with a mouse, in headless Chromium: signs in, deletes their account from the
privacy page (password again, email typed out), lands on the page saying it is deleted,
and is signed out of account and of federation."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from shared.dev.schema import migrate
from shared.infrastructure.oidc.keys import generate_private_key_pem
from shared.services.identity.deletion import DELETED_NAME
from tests.conftest import TEST_SECRET_KEY
from tests.sso.conftest import PASSWORD, sign_up
from tests.sso.test_browser_sso import SIGN_IN, chromium, fill_sign_in_form
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_delete_account_browser"


@pytest.fixture
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    platform = LivePlatform(
        url,
        redis_database(redis_url, 8),  # its own Redis database: sessions of its own
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("delete-account-logs"),
        extra_env={"OIDC_PRIVATE_KEY": generate_private_key_pem(), "ROSE_ASH_ENV": "dev"},
    )
    platform.start("federation", "account")
    yield platform
    platform.stop()
    database_server.drop(DATABASE)


async def test_a_member_deletes_their_account_and_is_signed_out(live: LivePlatform) -> None:
    member = sign_up(live, "leaving_member")
    member.browser.close()
    account = live.public_url("account")
    async with chromium() as (_context, page):
        await page.goto(live.public_url("federation") + "/")
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(live.public_url("federation") + "/")
        await page.goto(account + "/privacy/")
        form = page.locator("#delete-account")
        assert "not refunded" in await form.inner_text()

        # A typo in the address: refused, still signed in, nothing deleted.
        await page.fill("#delete-password", PASSWORD)
        await page.fill("#delete-email", "someone@example.test")
        await form.get_by_role("button", name="Delete my account").click()
        assert "Nothing was deleted" in await page.locator("[role=alert]").inner_text()

        await page.fill("#delete-password", PASSWORD)
        await page.fill("#delete-email", member.email)
        await form.get_by_role("button", name="Delete my account").click()
        await page.wait_for_url(account + "/privacy/deleted")
        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == "Your account is deleted"
        assert await page.locator(".user-area__name").count() == 0

        for name in ("account", "federation"):
            await page.goto(live.public_url(name) + "/")
            assert await page.locator(".user-area__name").count() == 0, name
            assert await page.locator(SIGN_IN).count() == 1, name
        # A members' page asks to sign in again, and the old password no longer works.
        await page.goto(account + "/privacy/")
        await page.wait_for_url(live.public_url("federation") + "/signin*")
        await fill_sign_in_form(page, member.username)
        refused = await page.locator(".form-error").inner_text()
        assert "don't match" in refused

    connection = await asyncpg.connect(live.database_url)
    try:
        row = await connection.fetchrow(
            "SELECT email, display_name, password_hash FROM users WHERE username = $1",
            member.username,
        )
    finally:
        await connection.close()
    assert row is not None
    assert (row["display_name"], row["password_hash"]) == (DELETED_NAME, None)
    assert row["email"] != member.email

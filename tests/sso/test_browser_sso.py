"""A member with a mouse, in headless Chromium: sign in once at federation and be
signed in on every app (each with its own cookie on its own host); sign out on
one and be signed out on all six."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from shared.infrastructure.config import APP_NAMES
from tests.sso.conftest import PASSWORD, sign_up
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIGN_IN = '.user-area a[href^="/auth/login"]'  # with ?next= this page
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@asynccontextmanager
async def chromium() -> AsyncIterator[tuple[Any, Any]]:
    """A fresh headless Chromium context and page (Debian's browser, nothing downloaded)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            context.set_default_timeout(15_000)
            yield context, await context.new_page()
        finally:
            await browser.close()


async def fill_sign_in_form(page: Any, username: str) -> None:
    """federation's sign-in form, as a member fills it in."""
    await page.fill("#login", username)
    await page.fill("#password", PASSWORD)
    await page.locator("main").get_by_role("button", name="Sign in", exact=True).click()


async def test_sign_in_once_is_everywhere_and_sign_out_once_is_everywhere(
    live_sso: LivePlatform,
) -> None:
    member = sign_up(live_sso, "browsermember")
    member.browser.close()
    async with chromium() as (context, page):
        # Sign in at federation with the form.
        await page.goto(live_sso.public_url("federation") + "/")
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(live_sso.public_url("federation") + "/")
        names = page.locator(".user-area__name")
        assert await names.first.inner_text() == member.display_name

        # Every other app: signed in without a click, with its own host-only cookie.
        for name in ("blog", "market", "cart", "events", "account"):
            await page.goto(live_sso.public_url(name) + "/")
            assert await names.first.inner_text() == member.display_name, name
            cookies = await context.cookies(live_sso.public_url(name))
            session = [c for c in cookies if c["name"] == "ra_session"]
            assert len(session) == 1, name
            assert session[0]["domain"] == f"{name}.localhost"  # host-only: no leading dot
            assert session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
        every = {c["value"] for c in await context.cookies() if c["name"] == "ra_session"}
        assert len(every) == len(APP_NAMES)  # six different sessions

        # Sign out on market: signed out on all six after the next page load.
        await page.goto(live_sso.public_url("market") + "/")
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(live_sso.public_url("market") + "/")
        for name in APP_NAMES:
            await page.goto(live_sso.public_url(name) + "/")
            assert await names.count() == 0, name
            assert await page.locator(SIGN_IN).count() == 1, name
        await page.screenshot(path=str(live_sso.log_dir / "signed-out.png"))


async def _listed_product(database_url: str, title: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        owner = await conn.fetchval(
            "INSERT INTO users (email, username, display_name) "
            "VALUES ('stallholder@example.test', 'stallholder', 'Stall Holder') RETURNING id"
        )
        stall = await conn.fetchval(
            "INSERT INTO stalls (slug, name, owner_id, status) "
            "VALUES ('lanterns', 'Lanterns', $1, 'approved') "
            "RETURNING id",
            owner,
        )
        product = await conn.fetchval(
            "INSERT INTO products (stall_id, slug, title, price_minor, currency, status) "
            "VALUES ($1, 'lantern-honey', $2, 900, 'GBP', 'listed') RETURNING id",
            stall,
            title,
        )
        await conn.execute(
            "INSERT INTO product_variants (product_id, name, price_minor) "
            "VALUES ($1, 'Standard', 900)",
            product,
        )
    finally:
        await conn.close()


async def _cart_owners(database_url: str) -> list[tuple[str | None, bool]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT u.username, c.anon_token IS NOT NULL AS anonymous FROM carts c "
            "LEFT JOIN users u ON u.id = c.user_id ORDER BY c.id"
        )
    finally:
        await conn.close()
    return [(row["username"], row["anonymous"]) for row in rows]


async def test_what_a_visitor_put_in_the_cart_is_theirs_after_signing_in(
    live_sso: LivePlatform,
) -> None:
    await _listed_product(live_sso.database_url, "Lantern honey")
    member = sign_up(live_sso, "cartmember")
    member.browser.close()
    async with chromium() as (_context, page):
        # Anonymous: add the honey from the market (dev hosts are cross-site, so the
        # cart asks once more on its own page).
        await page.goto(live_sso.public_url("market") + "/")
        card = page.locator("article", has_text="Lantern honey")
        await card.get_by_role("button", name="Add to cart").click()
        await page.get_by_role("button", name="Add to cart", exact=True).click()
        await page.goto(live_sso.public_url("cart") + "/")
        assert await page.get_by_text("Lantern honey").count() >= 1
        assert await page.locator(SIGN_IN).count() == 1

        # Sign in from the cart: back on the cart, signed in, the honey still there.
        await page.locator(SIGN_IN).click()
        await fill_sign_in_form(page, member.username)
        await page.wait_for_url(live_sso.public_url("cart") + "/")
        assert await page.locator(".user-area__name").first.inner_text() == member.display_name
        assert await page.get_by_text("Lantern honey").count() >= 1
    # The anonymous cart became the member's: one cart, theirs.
    assert await _cart_owners(live_sso.database_url) == [("cartmember", False)]

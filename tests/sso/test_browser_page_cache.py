"""Members and the whole-page cache, in headless Chromium against the six real apps and
the worker with the page cache on: a member's page comes from the cache with her name
and her own cart, another member gets his own copy, a copied cookie of an ended session
is never served her page, and her own browser is signed in again without a click."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from shared.infrastructure.sessions import session_digest, session_key
from tests.conftest import TEST_SECRET_KEY
from tests.sso.conftest import sign_up
from tests.sso.test_browser_sso import SIGN_IN, _listed_product, chromium, fill_sign_in_form
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform, redis_database, running_platform

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_page_cache_browser"
NAME = ".user-area__name"
COUNT = ".cart-link__count"


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    with running_platform(
        database_server,
        DATABASE,
        redis_database(redis_url, 9),
        TEST_SECRET_KEY,
        tmp_path_factory.mktemp("page-cache-browser-logs"),
        {"PAGE_CACHE_TTL": "30"},
    ) as platform:
        store = redis.Redis.from_url(platform.redis_url)
        store.flushdb()
        store.close()
        yield platform


async def _signed_in(page: Any, live: LivePlatform, username: str) -> None:
    await page.goto(live.public_url("federation") + "/")
    await page.locator(SIGN_IN).click()
    await fill_sign_in_form(page, username)
    await page.wait_for_url(live.public_url("federation") + "/")


async def _until_hit(page: Any, url: str) -> str | None:
    """Load `url` until it comes from the cache (a miss stores it); the last X-Cache."""
    seen = None
    for _ in range(4):
        response = await page.goto(url)
        seen = response.headers.get("x-cache")
        if seen == "HIT":
            break
    return seen


async def _market_cookie(context: Any, live: LivePlatform) -> str:
    cookies = await context.cookies(live.public_url("market"))
    return next(c["value"] for c in cookies if c["name"] == "ra_session")


async def test_members_get_their_own_cached_pages_and_an_ended_session_none(
    live: LivePlatform,
) -> None:
    await _listed_product(live.database_url, "Lantern honey")
    ada, bob = sign_up(live, "adacached"), sign_up(live, "bobcached")
    ada.browser.close()
    bob.browser.close()
    market = live.public_url("market") + "/"

    async with chromium() as (context, page):
        await _signed_in(page, live, ada.username)
        assert await _until_hit(page, market) == "HIT"
        assert await page.locator(NAME).first.inner_text() == ada.display_name
        assert await page.locator(COUNT).count() == 0

        # Her add-to-cart shows on the next page, then on the next copy of it.
        card = page.locator("article", has_text="Lantern honey")
        await card.get_by_role("button", name="Add to cart").click()
        await page.get_by_role("button", name="Add to cart", exact=True).click()
        await page.goto(market)
        assert await page.locator(COUNT).inner_text() == "1"
        assert await _until_hit(page, market) == "HIT"
        assert await page.locator(COUNT).inner_text() == "1"
        assert await page.locator(NAME).first.inner_text() == ada.display_name

        # Bob, in a browser of his own, gets his own copy: his name, no cart.
        bobs = await context.browser.new_context()
        bob_page = await bobs.new_page()
        await _signed_in(bob_page, live, bob.username)
        assert await _until_hit(bob_page, market) == "HIT"
        assert await bob_page.locator(NAME).first.inner_text() == bob.display_name
        assert await bob_page.locator(COUNT).count() == 0
        await bobs.close()

        # Her market session ends (its TTL, say) while her page is cached (again: Bob's
        # sign-in was a write, and every write makes every cached page stale).
        assert await _until_hit(page, market) == "HIT"
        old = await _market_cookie(context, live)
        store = redis.Redis.from_url(live.redis_url)
        assert store.delete(session_key("market", session_digest(old))) == 1
        store.close()

        # A copy of her market cookies in another browser is not served her page.
        thief = await context.browser.new_context()
        copied = await context.cookies(market)
        assert {"ra_session", "ra_sso_checked"} <= {c["name"] for c in copied}
        await thief.add_cookies(copied)
        thief_page = await thief.new_page()
        await thief_page.goto(market)
        assert await thief_page.locator(NAME).count() == 0
        assert await thief_page.locator(SIGN_IN).count() == 1
        await thief.close()

        # Her own browser, still signed in at federation, is signed in again silently.
        await page.goto(market)
        assert await page.locator(NAME).first.inner_text() == ada.display_name
        assert await page.locator(COUNT).inner_text() == "1"
        assert await _market_cookie(context, live) != old

        # Signing out is not undone by a cached page.
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(market)
        await page.goto(market)
        assert await page.locator(NAME).count() == 0
        assert await page.locator(SIGN_IN).count() == 1

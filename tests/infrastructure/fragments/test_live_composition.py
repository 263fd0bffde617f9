"""The real apps as separate processes: blog's pages composed over HTTP from cart, account, events.

One platform (blog, cart, account, events on loopback) for the module; each
test starts from empty tables and an empty Redis. No timing assertions: the
client's timeout is what fails a page that would hang.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from shared.contracts.widgets import cart_changed
from shared.dev.schema import migrate
from shared.infrastructure.config import DatabaseSettings, FragmentSettings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.internal import InternalAuth
from shared.models.blog import NavigationItem, Post
from shared.models.cart import Cart, CartLine
from shared.models.events import Calendar, Event
from shared.models.identity import User
from shared.models.market import Product, ProductVariant, Stall
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow

DATABASE = "rose_ash_fragments_live"
TOKEN = "a-visitors-anonymous-cart-token-0123456789"
PAGE_TIMEOUT = FragmentSettings().page_budget + 5.0  # a page that hangs fails the test
T = TypeVar("T")


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    platform = LivePlatform(url, redis_url, TEST_SECRET_KEY, tmp_path_factory.mktemp("logs"))
    platform.start("blog", "cart", "account", "events")
    # A fresh process compiles its templates on its first page (about half a
    # second for blog's, during which it cannot answer its own nav fetch in
    # time: that one page shows the static nav, and blog leaves itself alone
    # for the cooldown). The tests are about what follows, so each app serves
    # one page first.
    for name in ("cart", "account", "events", "blog"):
        httpx.get(platform.internal_url(name) + "/", timeout=PAGE_TIMEOUT)
    time.sleep(FragmentSettings().cooldown)  # a fragment that timed out: its app is asked again
    yield platform
    platform.stop()
    database_server.drop(DATABASE)


class World:
    """The rows a test starts from, committed for real (the apps are other processes)."""

    def __init__(self, database_url: str) -> None:
        self.url = DatabaseSettings(url=database_url).async_url

    def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in a session of its own and commit (from a sync test: no loop runs here)."""

        async def in_session() -> T:
            engine = create_async_engine(self.url)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    result = await work(session)
                    await session.commit()
                    return result
            finally:
                await engine.dispose()

        return asyncio.run(in_session())


async def _starting_rows(session: AsyncSession) -> int:
    """A menu, a post, an event, an anonymous cart, and a product to put in it (its id)."""
    ada = User(username="ada", display_name="Ada Okafor", email="ada@example.test")
    session.add(ada)
    await session.flush()
    stall = Stall(slug="marsh-honey", name="Marsh Honey", owner_id=ada.id, status="approved")
    honey = Product(stall=stall, slug="honey", title="Wildflower honey", price_minor=850)
    honey.variants = [ProductVariant(name="Standard", price_minor=850)]
    honey.status = "listed"
    starts = datetime.now(UTC) + timedelta(days=3)
    calendar = Calendar(slug="community", name="Community calendar")
    session.add_all(
        [
            honey,
            NavigationItem(label="Home", url="/", position=0),
            NavigationItem(label="About us", url="/about/", position=1),
            Post(slug="hello", title="Hello, neighbours", status="published", published_at=starts),
            Event(
                calendar=calendar,
                slug="lantern-walk",
                title="Lantern walk",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                status="published",
            ),
            Cart(anon_token=TOKEN),
        ]
    )
    await session.flush()
    return honey.id


@pytest.fixture
def world(live: LivePlatform, database_server: DatabaseServer, redis_url: str) -> World:
    database_server.truncate_all(DATABASE)
    with SyncRedis.from_url(redis_url) as redis:
        redis.flushdb()
    return World(live.database_url)


@pytest.fixture
def honey_id(world: World) -> int:
    return world.run(_starting_rows)


def blog_home(live: LivePlatform) -> httpx.Response:
    return httpx.get(
        live.internal_url("blog") + "/",
        headers={"Host": f"blog.localhost:{live.ports['blog']}"},
        cookies={"ra_cart": TOKEN},
        timeout=PAGE_TIMEOUT,
    )


def fragment_html(page: str, name: str) -> str:
    found = re.search(rf'<(\w+)[^>]*data-fragment="{name}".*?</\1>', page, re.S)
    assert found, f"no {name} fragment on the page"
    return found.group(0)


def cart_count(page: str) -> str | None:
    found = re.search(r'cart-link__count">(\d+)<', fragment_html(page, "mini-cart"))
    return found.group(1) if found else None


def add_to_cart(live: LivePlatform, product_id: int) -> httpx.Response:
    """What a browser on a market page sends when the visitor presses "Add to cart"."""
    return httpx.post(
        live.internal_url("cart") + "/lines",
        data={"product_id": str(product_id), "next": live.public_url("market") + "/"},
        headers={"Origin": live.public_url("market"), "Sec-Fetch-Site": "same-site"},
        cookies={"ra_cart": TOKEN},
        timeout=10,
    )


def test_blog_home_shows_nav_mini_cart_user_menu_and_events_from_their_apps(
    live: LivePlatform, honey_id: int
) -> None:
    assert add_to_cart(live, honey_id).status_code == 303

    response = blog_home(live)

    assert response.status_code == 200
    page = response.text
    nav = fragment_html(page, "nav")
    assert f'href="{live.public_url("blog")}/about/">About us<' in nav
    assert 'aria-current="page">Home<' in nav
    assert cart_count(page) == "1" and "£8.50" in fragment_html(page, "mini-cart")
    assert "Sign in" in fragment_html(page, "user-menu")
    assert "Lantern walk" in fragment_html(page, "upcoming-events")
    assert "Hello, neighbours" in page


def test_internal_fragments_refuse_a_request_without_the_token(live: LivePlatform) -> None:
    url = live.internal_url("blog") + "/internal/fragments/nav"
    assert httpx.get(url, timeout=5).status_code == 403
    assert httpx.get(url, headers={"X-Internal-Token": "guess"}, timeout=5).status_code == 403
    auth = InternalAuth.from_secret(TEST_SECRET_KEY)
    assert httpx.get(url, headers=auth.headers(), timeout=5).status_code == 200


def test_a_cart_line_added_shows_on_the_next_blog_page_at_once(
    live: LivePlatform, honey_id: int
) -> None:
    assert cart_count(blog_home(live).text) is None  # cached now, fresh for a minute

    assert add_to_cart(live, honey_id).status_code == 303
    assert cart_count(blog_home(live).text) == "1"

    assert add_to_cart(live, honey_id).status_code == 303
    assert cart_count(blog_home(live).text) == "2"


def test_with_cart_stopped_the_page_keeps_the_last_good_mini_cart_then_a_fresh_one(
    live: LivePlatform, world: World, honey_id: int, redis_url: str
) -> None:
    """Stopping the cart process still gives a 200 (within the page budget), and a fresh
    mini-cart once cart is back."""
    add_to_cart(live, honey_id)
    assert cart_count(blog_home(live).text) == "1"

    live.stop_app("cart")
    try:
        expire_mini_cart(redis_url)  # as if its TTL had run out while cart is down
        response = blog_home(live)
        assert response.status_code == 200
        assert cart_count(response.text) == "1"  # the last good copy
        # Meanwhile the visitor's cart changes (another process, the database itself).
        world.run(lambda session: set_quantity(session, 5))
    finally:
        live.start("cart")

    deadline = time.monotonic() + 20
    while cart_count(blog_home(live).text) != "5":
        assert time.monotonic() < deadline, "the fresh mini-cart never came back"
        time.sleep(0.2)


def expire_mini_cart(redis_url: str) -> None:
    async def invalidate() -> None:
        redis = Redis.from_url(redis_url)
        try:
            cache = FragmentCache(redis, keep_stale=60, timeout=2)
            await cache.invalidate([cart_changed(user_id=None, anon_token=TOKEN)])
        finally:
            await redis.aclose()

    asyncio.run(invalidate())


async def set_quantity(session: AsyncSession, quantity: int) -> None:
    cart_id = select(Cart.id).where(Cart.anon_token == TOKEN).scalar_subquery()
    await session.execute(
        update(CartLine).where(CartLine.cart_id == cart_id).values(quantity=quantity)
    )

"""fetch_fragments(): concurrent fetches, the Redis cache, stale copies, budgets, Redis down.

The providers are a stand-in speaking the fragment protocol over a real
socket; the cache is the real Redis. No assertion here is about timing:
concurrency is shown by the provider seeing every request in flight at once.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from redis.asyncio import Redis

from shared.contracts.widgets import (
    FragmentRequest,
    FragmentViewer,
    cart_changed,
    scope_of,
)
from shared.dev.embedded import free_port
from shared.infrastructure.fragments import fetch_fragments
from tests.infrastructure.fragments.conftest import ClientMaker, StandIn

SHELL = [
    FragmentRequest.of("nav", current="blog"),
    FragmentRequest.of("user-menu"),
    FragmentRequest.of("mini-cart"),
]
EVENTS = FragmentRequest.of("upcoming-events", limit=4)
ADA = FragmentViewer(user_id=1)
ANON = FragmentViewer()


async def test_fragments_are_fetched_side_by_side(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    # Every request is held until all four are in flight: fetched one after
    # another, the first would wait for ever and the page would get placeholders.
    released = asyncio.Event()
    for request in [*SHELL, EVENTS]:
        stand_in.gates[request.type] = released

    def release_when_all_arrived(provider: StandIn) -> None:
        if provider.in_flight == 4:
            released.set()

    stand_in.on_arrival = release_when_all_arrived
    client = await make_client()

    page = await fetch_fragments(client, [*SHELL, EVENTS], ADA)

    assert stand_in.max_in_flight == 4
    assert "nav for anon" in page.get("nav")
    assert "user-menu for u1" in page.get("user-menu")
    assert "mini-cart for u1" in page.get("mini-cart")
    assert "upcoming-events" in page.get("upcoming-events")


async def test_params_and_the_token_reach_the_provider(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    await fetch_fragments(client, [EVENTS, SHELL[0]], ANON)
    params = {seen.type: seen.params for seen in stand_in.seen}
    assert params == {"upcoming-events": {"limit": "4"}, "nav": {"current": "blog"}}


async def test_only_what_a_fragment_depends_on_leaves_the_app(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    viewer = FragmentViewer(user_id=7, anon_cart="old-anonymous-cart-token")
    client = await make_client()

    await fetch_fragments(client, [*SHELL, EVENTS], viewer)

    seen = {s.type: s for s in stand_in.seen}
    assert not seen["nav"].has_viewer_header and not seen["upcoming-events"].has_viewer_header
    assert seen["user-menu"].viewer == FragmentViewer(user_id=7)
    assert seen["mini-cart"].viewer == viewer


async def test_a_fresh_copy_comes_from_redis_without_asking_the_provider(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    first = await fetch_fragments(client, SHELL, ADA)
    second = await fetch_fragments(client, SHELL, ADA)

    assert second == first
    assert [stand_in.count(r.type) for r in SHELL] == [1, 1, 1]


async def test_personal_fragments_are_cached_per_viewer(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    visitor = FragmentViewer(anon_cart="a-visitors-cart-token-0123456789abcdef")
    for viewer in (ADA, FragmentViewer(user_id=2), visitor, ANON, ADA, visitor):
        await fetch_fragments(client, [SHELL[0], SHELL[2]], viewer)

    # nav is the same for everyone; the mini-cart once per member, cart and nobody.
    assert stand_in.count("nav") == 1
    assert stand_in.count("mini-cart") == 4


async def test_cache_keys_hold_no_cart_token(
    make_client: ClientMaker, redis: Redis, stand_in: StandIn
) -> None:
    client = await make_client()
    token = "a-visitors-cart-token-0123456789abcdef"
    await fetch_fragments(client, [SHELL[2]], FragmentViewer(anon_cart=token))
    keys = [key.decode() for key in await redis.keys("frag:*")]
    assert keys and not any(token in key for key in keys)


async def test_the_ttl_comes_from_the_settings(make_client: ClientMaker, stand_in: StandIn) -> None:
    client = await make_client(ttl={"nav": 0})
    for _ in range(3):
        await fetch_fragments(client, [SHELL[0], EVENTS], ANON)
    assert stand_in.count("nav") == 3  # TTL 0: always asked
    assert stand_in.count("upcoming-events") == 1  # the default TTL


async def test_invalidation_makes_the_next_page_ask_again(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    await fetch_fragments(client, [SHELL[2]], ADA)
    stand_in.html["mini-cart"] = "<p>2 items</p>"

    await client.cache.invalidate([cart_changed(user_id=1, anon_token=None)])
    page = await fetch_fragments(client, [SHELL[2]], ADA)

    assert page.get("mini-cart") == "<p>2 items</p>"
    assert stand_in.count("mini-cart") == 2


async def test_invalidation_is_per_scope(make_client: ClientMaker, stand_in: StandIn) -> None:
    client = await make_client()
    other = FragmentViewer(user_id=2)
    for viewer in (ADA, other):
        await fetch_fragments(client, [SHELL[2], EVENTS], viewer)

    await client.cache.invalidate([cart_changed(user_id=1, anon_token=None)])
    for viewer in (ADA, other):
        await fetch_fragments(client, [SHELL[2], EVENTS], viewer)

    assert stand_in.count("mini-cart") == 3  # ADA's twice, the other member's once
    assert stand_in.count("upcoming-events") == 1


async def test_invalidating_a_type_drops_every_variant_of_it(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    variants = [
        FragmentRequest.of("upcoming-events", limit=4),
        FragmentRequest.of(
            "upcoming-events", limit=5, container_type="post", container_id=3, name="post"
        ),
    ]
    await fetch_fragments(client, variants, ANON)
    await client.cache.invalidate([scope_of("upcoming-events")])
    await fetch_fragments(client, variants, ANON)
    assert stand_in.count("upcoming-events") == 4


async def test_a_fetch_that_began_before_a_change_is_not_kept_as_fresh(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    gate = stand_in.hold("mini-cart")
    stand_in.html["mini-cart"] = "<p>old</p>"
    page = asyncio.ensure_future(fetch_fragments(client, [SHELL[2]], ADA))
    await stand_in.until(lambda s: s.in_flight == 1)

    # The cart changes and is committed while the old HTML is on its way.
    await client.cache.invalidate([cart_changed(user_id=1, anon_token=None)])
    gate.set()
    assert (await page).get("mini-cart") == "<p>old</p>"

    stand_in.html["mini-cart"] = "<p>new</p>"
    assert (await fetch_fragments(client, [SHELL[2]], ADA)).get("mini-cart") == "<p>new</p>"


async def test_pages_wanting_the_same_fragment_at_once_share_one_fetch(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client()
    gate = stand_in.hold("nav")
    pages = [asyncio.ensure_future(fetch_fragments(client, [SHELL[0]], ANON)) for _ in range(5)]
    await stand_in.until(lambda s: s.in_flight == 1)
    await asyncio.sleep(0.5)  # room for the other pages to ask too, on a loaded machine
    gate.set()
    results = await asyncio.gather(*pages)
    assert stand_in.count("nav") == 1
    assert all("nav for anon" in page.get("nav") for page in results)


async def test_a_failing_provider_is_replaced_by_the_last_good_copy(
    make_client: ClientMaker, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(ttl={"mini-cart": 0})
    stand_in.html["mini-cart"] = "<p>3 items</p>"
    await fetch_fragments(client, [SHELL[2]], ADA)
    stand_in.status["mini-cart"] = 500

    with caplog.at_level(logging.WARNING, "shared.infrastructure.fragments"):
        page = await fetch_fragments(client, [SHELL[2]], ADA)

    assert page.get("mini-cart") == "<p>3 items</p>"
    assert "cart/mini-cart: cart answered HTTP 500; serving the last good copy" in caplog.text


async def test_a_provider_that_is_down_gives_the_placeholder(
    make_client: ClientMaker, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    client = await make_client(urls={name: dead for name in ("blog", "cart", "account", "events")})

    with caplog.at_level(logging.WARNING, "shared.infrastructure.fragments"):
        page = await fetch_fragments(client, SHELL, ADA)

    assert page.get("nav") == page.get("user-menu") == page.get("mini-cart") == ""
    assert "blog/nav: unreachable (ConnectError); serving an empty placeholder" in caplog.text


async def test_a_slow_provider_is_cut_off_at_the_fragment_timeout(
    make_client: ClientMaker, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.html["nav"] = "<nav>good</nav>"
    # The good copy is fetched without the short timeout, which a loaded machine can miss.
    await fetch_fragments(await make_client(ttl={"nav": 0}), [SHELL[0]], ANON)
    client = await make_client(timeout=0.2, ttl={"nav": 0})
    stand_in.hold("nav")  # never released during the test

    with caplog.at_level(logging.WARNING, "shared.infrastructure.fragments"):
        page = await fetch_fragments(client, [SHELL[0], EVENTS], ANON)

    assert page.get("nav") == "<nav>good</nav>"
    assert "upcoming-events" in page.get("upcoming-events")  # the others are not held up
    assert "blog/nav: timed out after 0.2 s; serving the last good copy" in caplog.text


async def test_after_a_timeout_the_provider_is_left_alone_for_the_cooldown(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client(timeout=0.2, cooldown=60, ttl={"nav": 0})
    stand_in.hold("nav")
    await fetch_fragments(client, [SHELL[0]], ANON)
    page = await fetch_fragments(client, [SHELL[0]], ANON)
    assert stand_in.count("nav") == 1
    assert page.get("nav") == ""


async def test_the_page_budget_bounds_the_wait_and_the_late_answer_is_still_cached(
    make_client: ClientMaker, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(timeout=5.0, page_budget=0.2)
    gate = stand_in.hold("nav")

    with caplog.at_level(logging.WARNING, "shared.infrastructure.fragments"):
        page = await fetch_fragments(client, [SHELL[0]], ANON)
    assert page.get("nav") == ""
    assert "no answer within the page budget (0.2 s)" in caplog.text

    gate.set()
    await asyncio.wait(list(client._inflight.values()))  # the fetch the page gave up on
    assert "nav for anon" in (await fetch_fragments(client, [SHELL[0]], ANON)).get("nav")
    assert stand_in.count("nav") == 1


async def test_with_redis_down_fragments_are_fetched_without_the_cache(
    make_client: ClientMaker, stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    dead_redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    client = await make_client(cache_redis=dead_redis, outage_copy_seconds=0)
    try:
        with caplog.at_level(logging.WARNING, "shared.infrastructure.fragment_cache"):
            first = await fetch_fragments(client, SHELL, ADA)
            second = await fetch_fragments(client, SHELL, ADA)
    finally:
        await dead_redis.aclose()

    assert "mini-cart for u1" in first.get("mini-cart") and second == first
    assert stand_in.count("mini-cart") == 2
    assert "fragment cache: read failed" in caplog.text


async def test_with_redis_down_a_process_reuses_what_it_just_fetched(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    dead_redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    client = await make_client(cache_redis=dead_redis, outage_copy_seconds=60)
    try:
        first = await fetch_fragments(client, SHELL, ADA)
        second = await fetch_fragments(client, SHELL, ADA)
        bobs = await fetch_fragments(client, SHELL, FragmentViewer(user_id=2))
    finally:
        await dead_redis.aclose()

    assert second == first and "mini-cart for u1" in second.get("mini-cart")
    assert [stand_in.count(r.type) for r in SHELL] == [1, 2, 2]  # nav is everyone's
    assert "mini-cart for u2" in bobs.get("mini-cart")


async def test_with_redis_up_the_outage_copies_are_never_served(
    make_client: ClientMaker, stand_in: StandIn
) -> None:
    client = await make_client(outage_copy_seconds=60, ttl={"mini-cart": 0})
    await fetch_fragments(client, [SHELL[2]], ADA)
    await fetch_fragments(client, [SHELL[2]], ADA)
    # A TTL of 0: Redis never has a fresh copy, and the one kept in process is not used.
    assert stand_in.count("mini-cart") == 2


class _To(httpx.AsyncBaseTransport):
    """The in-process origin sent to the stand-in's socket instead of the app's ASGI."""

    def __init__(self, url: str) -> None:
        self.target = httpx.URL(url)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(host=self.target.host, port=self.target.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_own_fragment_slower_than_the_provider_timeout_still_renders_and_is_cached(
    make_client: ClientMaker, stand_in: StandIn, redis: Redis
) -> None:
    # The app's own fragment (cart's mini-cart on a cart page) is rendered by the busy
    # process itself: cut off at the provider timeout it would never reach the cache.
    client = await make_client(timeout=0.1, page_budget=0.2, ttl={"mini-cart": 60})
    client.own_name = "cart"
    client.own_http = httpx.AsyncClient(transport=_To(stand_in.url), trust_env=False)
    gate = stand_in.hold("mini-cart")
    page = await fetch_fragments(client, [SHELL[2]], ADA)
    assert page.get("mini-cart") == ""  # the page stopped waiting at its budget
    await asyncio.sleep(0.3)  # longer than the provider timeout
    gate.set()
    await asyncio.wait(list(client._inflight.values()))
    again = await fetch_fragments(client, [SHELL[2]], ADA)
    assert "mini-cart for u1" in again.get("mini-cart")
    assert stand_in.count("mini-cart") == 1
    await client.own_http.aclose()

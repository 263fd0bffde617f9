"""The whole-page cache: hits skip the view, tokens stay each browser's own, a member is served
only their own session's copy, carts are never served one, and a change made through the domain
shows at once."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from quart import Quart, Response
from quart.typing import TestClientProtocol as Client
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import UserRecord
from shared.contracts.events import PostUpdated
from shared.infrastructure.config import AppUrls, PageCacheSettings, Settings
from shared.infrastructure.page_cache import GENERATION_KEY, no_page_cache
from shared.infrastructure.runtime import runtime
from shared.infrastructure.security import csrf_token, frameable
from shared.infrastructure.sessions import AppSession, AppSessions
from shared.infrastructure.viewer import set_viewer
from shared.models.events import Event
from shared.models.market import Category
from shared.services.events.editing import update_event
from shared.services.events.forms import EventInput
from tests.conftest import AppFactory
from tests.infrastructure.fragments.conftest import StandIn, stand_in  # noqa: F401 (a fixture)
from tests.market.conftest import record_of
from tests.support.factories import add, make_calendar, make_event, make_stall, make_user, now
from tests.support.units import unit_of_work

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CART_TOKEN = "c" * 32


def cached(settings: Settings, fragments_url: str | None = None) -> Settings:
    """The test settings with the page cache on (conftest turns it off for other tests)."""
    # A loaded machine can outlast the production 0.1 s for one Redis call, and the cache
    # would then step aside for its cooldown: these tests are about what it serves.
    fragments = {"cache_timeout": 5.0}
    update: dict[str, object] = {"page_cache": PageCacheSettings(ttl=30)}
    if fragments_url is not None:
        update["apps"] = {
            name: AppUrls(base_url=urls.base_url, internal_url=fragments_url)
            for name, urls in settings.apps.items()
        }
        fragments.update(timeout=10.0, page_budget=10.0)
    update["fragments"] = settings.fragments.model_copy(update=fragments)
    return settings.model_copy(update=update)


class As:
    """Who the next request is from (set before each request, as single sign-on does)."""

    viewer: UserRecord | None = None


Start = Callable[..., Awaitable[tuple[Quart, As]]]


@pytest.fixture
def start(make_app: AppFactory, settings: Settings) -> Start:
    async def open_app(name: str, fragments_url: str | None = None) -> tuple[Quart, As]:
        app = await make_app(name, app_settings=cached(settings, fragments_url))
        who = As()

        @app.before_request
        async def sign_in() -> None:
            if who.viewer is not None:
                set_viewer(who.viewer)

        return app, who

    return open_app


async def get(client: Client, path: str, **kwargs: object) -> tuple[str | None, str]:
    response = await client.get(path, **kwargs)
    assert response.status_code == 200, path
    return response.headers.get("X-Cache"), await response.get_data(as_text=True)


async def test_the_second_anonymous_visit_is_a_hit_that_skips_the_view_and_its_fragments(
    start: Start,
    stand_in: StandIn,  # noqa: F811
) -> None:
    app, _ = await start("blog", stand_in.url)
    first_state, first = await get(app.test_client(), "/")
    fetched = len(stand_in.seen)
    assert first_state == "MISS" and fetched > 0
    second_state, second = await get(app.test_client(), "/")
    assert second_state == "HIT"
    assert len(stand_in.seen) == fetched  # no fragment was asked for again
    assert second == first
    # Another query is another page, kept from its second visit on: an invented query
    # leaves a marker in Redis, not a whole page.
    states = [(await get(app.test_client(), "/?b=2&a=1"))[0] for _ in range(2)]
    assert states == ["MISS", "MISS"]
    assert (await get(app.test_client(), "/?a=1&b=2"))[0] == "HIT"
    head = await app.test_client().head("/")
    assert head.status_code == 200


async def test_invented_queries_keep_no_pages_in_redis(start: Start, redis: Redis) -> None:
    app, _ = await start("blog")
    for n in range(5):
        assert (await get(app.test_client(), f"/?x={n}"))[0] == "MISS"
    kept = [key async for key in redis.scan_iter(match="page:v1:blog:*")]
    assert kept == []
    sizes = [await redis.strlen(key) async for key in redis.scan_iter(match="page:v1:seen:*")]
    assert len(sizes) == 5 and max(sizes) == 1


async def signed_in(app: Quart, redis: Redis, user_id: int) -> tuple[Client, AppSession]:
    """A browser with a session of `app`'s, as single sign-on leaves it."""
    session = await AppSessions(redis, runtime(app).name, 3600).create(
        user_id=user_id,
        op_sid=f"test-sid-{user_id}",
        id_token="t",
        access_token="t",
        refresh_token=None,
        access_expires_at=time.time() + 3600,
    )
    client = app.test_client()
    client.set_cookie("localhost", "ra_session", session.cookie_value)
    return client, session


async def test_a_member_is_served_their_own_copy_never_anothers_nor_an_anonymous_one(
    start: Start,
    stand_in: StandIn,  # noqa: F811
    db: AsyncSession,
    redis: Redis,
) -> None:
    app, _ = await start("blog", stand_in.url)
    ada, bob = await make_user(db, "ada"), await make_user(db, "bob")
    await get(app.test_client(), "/")
    assert (await get(app.test_client(), "/"))[0] == "HIT"
    ada_browser, ada_session = await signed_in(app, redis, ada.id)
    bob_browser, _ = await signed_in(app, redis, bob.id)
    state, html = await get(ada_browser, "/")
    assert state == "MISS" and f"user-menu for u{ada.id}" in html
    asked = len(stand_in.seen)
    state, again = await get(ada_browser, "/")
    assert state == "HIT" and again == html
    assert len(stand_in.seen) == asked  # her copy: no fragment asked for again
    state, html = await get(bob_browser, "/")
    assert state == "MISS" and f"user-menu for u{bob.id}" in html
    assert f"u{ada.id}" not in html and "user-menu for anon" not in html
    state, html = await get(app.test_client(), "/")
    assert state == "HIT" and "user-menu for anon" in html
    assert f"u{ada.id}" not in html and f"u{bob.id}" not in html
    # Signed out (here, or everywhere by a back-channel logout): her copy is never served.
    await AppSessions(redis, "blog", 3600).delete(ada_session)
    state, html = await get(ada_browser, "/")
    assert state is None and "user-menu for anon" in html and f"u{ada.id}" not in html


async def test_a_members_form_works_from_their_copy_and_their_booking_shows_next(
    start: Start, db: AsyncSession, redis: Redis
) -> None:
    app, _ = await start("events")
    cara = await make_user(db, "cara")
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Swim", now() + timedelta(days=4), capacity=5)
    page = f"/{calendar.slug}/{event.slug}/"
    browser, _ = await signed_in(app, redis, cara.id)
    first_state, first = await get(browser, page)
    state, html = await get(browser, page)
    assert (first_state, state) == ("MISS", "HIT") and "5 of 5 places left" in html
    token, first_token = TOKEN_RE.search(html), TOKEN_RE.search(first)
    assert token and first_token and token.group(1) == first_token.group(1)
    action = re.search(r'action="([^"]+/book)"', html)
    assert action
    booked = await browser.post(
        action.group(1),
        form={"csrf_token": token.group(1), "name": "Cara", "email": "cara@example.test"},
    )
    assert booked.status_code == 201, await booked.get_data(as_text=True)
    state, html = await get(browser, page)
    assert state == "MISS" and "4 of 5 places left" in html
    # A browser without her session never sees her copy, nor she the anonymous one.
    assert (await get(app.test_client(), page))[0] == "MISS"


async def test_a_visitor_with_a_cart_gets_their_own_mini_cart(
    start: Start,
    stand_in: StandIn,  # noqa: F811
) -> None:
    app, _ = await start("market", stand_in.url)
    await get(app.test_client(), "/")
    assert (await get(app.test_client(), "/"))[0] == "HIT"
    asked = len(stand_in.seen)
    state, _ = await get(app.test_client(), "/", headers={"Cookie": f"ra_cart={CART_TOKEN}"})
    assert state is None
    carts = [s for s in stand_in.seen[asked:] if s.type == "mini-cart"]
    assert carts and carts[0].viewer is not None and carts[0].viewer.anon_cart == CART_TOKEN


async def test_each_browser_gets_its_own_csrf_token_on_a_hit_and_its_form_works(
    start: Start, db: AsyncSession
) -> None:
    app, _ = await start("events")
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Walk", now() + timedelta(days=4), capacity=5)
    page = f"/{calendar.slug}/{event.slug}/"
    first, second = app.test_client(), app.test_client()
    state_one, html_one = await get(first, page)
    state_two, html_two = await get(second, page)
    assert (state_one, state_two) == ("MISS", "HIT")
    token_one = TOKEN_RE.search(html_one)
    token_two = TOKEN_RE.search(html_two)
    assert token_one and token_two and token_one.group(1) != token_two.group(1)
    action = re.search(r'action="([^"]+/book)"', html_two)
    assert action
    for client, token, name in ((second, token_two, "Gil"), (first, token_one, "Hal")):
        booked = await client.post(
            action.group(1),
            form={"csrf_token": token.group(1), "name": name, "email": f"{name}@example.test"},
        )
        assert booked.status_code == 201, await booked.get_data(as_text=True)
    # A token copied from the other browser's page is refused, as without the cache.
    crossed = await second.post(
        action.group(1),
        form={"csrf_token": token_one.group(1), "name": "Ida", "email": "ida@example.test"},
    )
    assert crossed.status_code == 400


HONEY = {
    "title": "Heather honey",
    "slug": "heather-honey",
    "description": "<p>Dark.</p>",
    "category": "honey",
    "variant-0-name": "340 g",
    "variant-0-price": "8.50",
    "variant-0-stock": "12",
    "publish": "1",
}


async def test_a_price_and_a_stock_change_show_on_the_next_anonymous_visit(
    start: Start, db: AsyncSession
) -> None:
    ben = await make_user(db, "ben")
    await add(db, Category(slug="honey", name="Honey"))
    await make_stall(db, "Marsh Honey", ben, slug="marsh-honey")
    app, who = await start("market")
    owner = app.test_client()

    async def save(path: str, **fields: str) -> None:
        who.viewer = record_of(ben)
        try:
            token = TOKEN_RE.search(await (await owner.get(path)).get_data(as_text=True))
            assert token
            saved = await owner.post(path, form={**HONEY, **fields, "csrf_token": token.group(1)})
            assert saved.status_code == 303, await saved.get_data(as_text=True)
        finally:
            who.viewer = None

    await save("/stalls/marsh-honey/manage/products/new")
    product = "/stalls/marsh-honey/heather-honey/"
    await get(app.test_client(), product)
    state, html = await get(app.test_client(), product)
    assert state == "HIT" and "£8.50" in html
    from shared.models.market import Product

    product_id = await db.scalar(select(Product.id).where(Product.slug == "heather-honey"))
    edit = f"/stalls/marsh-honey/manage/products/{product_id}/"
    await save(edit, **{"variant-0-price": "9.75"})
    state, html = await get(app.test_client(), product)
    assert state == "MISS" and "£9.75" in html and "£8.50" not in html
    assert (await get(app.test_client(), product))[0] == "HIT"
    await save(edit, **{"variant-0-price": "9.75", "variant-0-stock": "0"})
    state, html = await get(app.test_client(), product)
    assert state == "MISS" and "Sold out" in html and "Add to cart</button>" not in html


async def test_an_edited_post_title_shows_on_the_next_anonymous_visit(
    start: Start, db: AsyncSession
) -> None:
    from shared.services.blog.staff import set_staff_role

    eve = await make_user(db, "eve")
    await set_staff_role(db, eve.id, "editor")
    app, who = await start("blog")
    editor = app.test_client()
    doc = '{"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Bring seeds."}]}]}'  # noqa: E501
    who.viewer = record_of(eve)
    token_match = TOKEN_RE.search(
        await (await editor.get("/admin/posts/new")).get_data(as_text=True)
    )
    assert token_match
    token = token_match.group(1)
    created = await editor.post(
        "/admin/posts/", form={"csrf_token": token, "title": "Seed swap", "doc": doc}
    )
    edit_path = created.headers["Location"]
    await editor.post(f"{edit_path}publish", form={"csrf_token": token})
    who.viewer = None
    await get(app.test_client(), "/seed-swap/")
    state, html = await get(app.test_client(), "/seed-swap/")
    assert state == "HIT" and "Seed swap" in html
    who.viewer = record_of(eve)
    renamed = await editor.post(
        edit_path, form={"csrf_token": token, "title": "Seed and plant swap", "doc": doc}
    )
    assert renamed.status_code == 303, await renamed.get_data(as_text=True)
    who.viewer = None
    state, html = await get(app.test_client(), "/seed-swap/")
    assert state == "MISS" and "Seed and plant swap" in html


async def test_a_capacity_change_outside_any_request_shows_on_the_next_visit(
    start: Start, db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    """A unit of work of the worker's kind (no request, so no write backstop): its event alone
    invalidates the pages."""
    app, _ = await start("events")
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Walk", now() + timedelta(days=4), capacity=5)
    page = f"/{calendar.slug}/{event.slug}/"
    await get(app.test_client(), page)
    state, html = await get(app.test_client(), page)
    assert state == "HIT" and "5 of 5 places left" in html
    async with unit_of_work(db, settings, redis) as uow:
        loaded = await uow.session.get(Event, event.id)
        assert loaded is not None
        await update_event(uow.session, loaded, _input_of(loaded, capacity=8), publish=False)
    state, html = await get(app.test_client(), page)
    assert state == "MISS" and "8 of 8 places left" in html


def _input_of(event: Event, **changes: object) -> EventInput:
    fields: dict[str, object] = {
        "title": event.title,
        "description": event.description or "",
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "time_zone": event.time_zone,
        "all_day": event.all_day,
        "location": event.location or "",
        "map_url": event.map_url or "",
        "online_url": event.online_url or "",
        "tags": tuple(event.tags or ()),
        "capacity": event.capacity,
        "rrule": event.rrule,
    }
    return EventInput(**{**fields, **changes})  # type: ignore[arg-type]


async def test_only_a_unit_that_recorded_an_event_makes_a_new_generation(
    db: AsyncSession, redis: Redis, settings: Settings
) -> None:
    async with unit_of_work(db, settings, redis):
        pass
    assert await redis.get(GENERATION_KEY) is None
    async with unit_of_work(db, settings, redis) as uow:
        uow.record(PostUpdated(post_id=1))
    first = await redis.get(GENERATION_KEY)
    async with unit_of_work(db, settings, redis) as uow:
        uow.record(PostUpdated(post_id=1))
    second = await redis.get(GENERATION_KEY)
    assert first is not None and second is not None and first != second


async def test_an_evicted_generation_never_revives_an_old_copy(start: Start, redis: Redis) -> None:
    app, _ = await start("blog")
    await get(app.test_client(), "/")
    assert (await get(app.test_client(), "/"))[0] == "HIT"
    await redis.delete(GENERATION_KEY)  # what allkeys-lru may do
    assert (await get(app.test_client(), "/"))[0] == "MISS"


async def test_with_redis_stopped_pages_still_render(
    make_app: AppFactory, settings: Settings
) -> None:
    from shared.dev.embedded import free_port

    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    down = cached(settings).model_copy(
        update={"redis": settings.redis.model_copy(update={"url": nowhere, "cache_url": nowhere})}
    )
    app = await make_app("blog", app_settings=down)
    for _ in range(2):
        response = await app.test_client().get("/")
        assert response.status_code == 200
        assert "X-Cache" not in response.headers


async def test_a_view_marked_no_page_cache_is_rendered_every_time(start: Start) -> None:
    app, _ = await start("blog")
    rendered: list[int] = []

    @app.get("/opened-by-a-token")
    @no_page_cache
    async def opened() -> str:
        rendered.append(1)
        return f"<p>rendering {len(rendered)}</p>"

    for count in (1, 2):
        state, html = await get(app.test_client(), "/opened-by-a-token")
        assert state != "HIT" and f"rendering {count}" in html


async def test_sign_in_and_admin_pages_and_json_are_never_kept(start: Start) -> None:
    app, _ = await start("blog")
    for _ in range(2):
        json_asked = await app.test_client().get("/", headers={"Accept": "application/json"})
        assert "X-Cache" not in json_asked.headers
        login = await app.test_client().get("/auth/login")
        assert "X-Cache" not in login.headers


async def test_a_hit_carries_its_own_request_id_and_a_first_navigation_reaches_the_app(
    start: Start,
) -> None:
    app, _ = await start("blog")
    await get(app.test_client(), "/")
    hit = await app.test_client().get("/", headers={"X-Request-ID": "trace-0123456789"})
    assert hit.headers["X-Cache"] == "HIT" and hit.headers["X-Request-ID"] == "trace-0123456789"
    assert hit.headers["Content-Security-Policy"] and hit.headers["X-Frame-Options"] == "DENY"
    assert hit.headers.getlist("X-Request-ID") == ["trace-0123456789"]
    # A browser's first page may be the silent sign-in check: the app answers it, not the cache.
    navigate = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    first = await app.test_client().get("/", headers=navigate)
    assert first.headers.get("X-Cache") != "HIT"
    checked = await app.test_client().get("/", headers={**navigate, "Cookie": "ra_sso_checked=1"})
    assert checked.headers["X-Cache"] == "HIT"


async def test_a_frameable_page_stays_frameable_when_it_is_a_hit(start: Start) -> None:
    app, _ = await start("blog")

    @app.get("/embeddable")
    @frameable
    async def embeddable() -> str:
        return "<p>a widget</p>"

    for expected in ("MISS", "HIT"):
        response = await app.test_client().get("/embeddable")
        assert response.headers["X-Cache"] == expected
        assert "X-Frame-Options" not in response.headers
        assert response.headers.getlist("Content-Security-Policy") == [
            response.headers["Content-Security-Policy"]
        ]
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


async def test_a_burst_of_misses_of_one_page_waits_for_one_render(start: Start) -> None:
    app, _ = await start("blog")
    renders: list[int] = []

    @app.get("/slow-page")
    async def slow_page() -> str:
        renders.append(1)
        await asyncio.sleep(0.3)  # the copy expired under load: others ask meanwhile
        return f'<form><input name="csrf_token" value="{csrf_token()}"></form>'

    clients = [app.test_client() for _ in range(4)]
    answers = await asyncio.gather(*(client.get("/slow-page") for client in clients))
    assert len(renders) == 1
    assert sorted(a.headers["X-Cache"] for a in answers) == ["HIT", "HIT", "HIT", "MISS"]
    tokens = {TOKEN_RE.search(await a.get_data(as_text=True)).group(1) for a in answers}  # type: ignore[union-attr]
    assert len(tokens) == 4  # each browser its own form token, and its own cookie
    assert all(a.headers["Set-Cookie"].startswith("ra_csrf=") for a in answers)

    # A render that keeps nothing (it set a cookie) leaves the others to render their own.
    @app.get("/own-cookie")
    async def own_cookie() -> Response:
        renders.append(1)
        await asyncio.sleep(0.3)
        response = Response("<p>yours</p>", mimetype="text/html")
        response.set_cookie("ra_cart", "c" * 32)
        return response

    renders.clear()
    answers = await asyncio.gather(*(client.get("/own-cookie") for client in clients))
    assert len(renders) == 4 and all(a.status_code == 200 for a in answers)
    assert all(a.headers["X-Cache"] == "MISS" for a in answers)

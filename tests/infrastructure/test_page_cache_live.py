"""The page cache across real processes: blog's cached home shows the events app's upcoming
list, and an event renamed by a unit of work elsewhere (as the worker would) shows there on
the very next visit; Redis stopped, the pages still render."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from shared.dev.embedded import EmbeddedRedis, start_redis
from shared.dev.schema import migrate
from shared.infrastructure.config import DatabaseSettings, Settings
from shared.models.events import Calendar, Event
from shared.services.events.editing import update_event
from tests.conftest import TEST_SECRET_KEY
from tests.infrastructure.test_page_cache import _input_of
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform
from tests.support.units import unit_of_work

pytestmark = pytest.mark.slow

DATABASE = "rose_ash_page_cache_live"
CACHED = {"PAGE_CACHE_TTL": "30"}
T = TypeVar("T")


@pytest.fixture
def live(
    database_server: DatabaseServer, tmp_path: Path
) -> Iterator[tuple[LivePlatform, EmbeddedRedis]]:
    """blog and events on a Redis of their own (a test may stop it)."""
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    server = start_redis(tmp_path / "redis")
    platform = LivePlatform(url, server.url, TEST_SECRET_KEY, tmp_path, extra_env=CACHED)
    platform.start("blog", "events")
    try:
        yield platform, server
    finally:
        platform.stop()
        server.stop()
        database_server.drop(DATABASE)


async def _in_session(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_async_engine(DatabaseSettings(url=database_url).async_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def _add_walk(session: AsyncSession) -> int:
    starts = datetime.now(UTC) + timedelta(days=3)
    event = Event(
        calendar=Calendar(slug="community", name="Community calendar"),
        slug="lantern-walk",
        title="Lantern walk",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status="published",
        overrides=[],
    )
    session.add(event)
    await session.flush()
    return event.id


def _home(platform: LivePlatform) -> tuple[str | None, str]:
    response = httpx.get(platform.internal_url("blog") + "/", timeout=30)
    assert response.status_code == 200
    return response.headers.get("X-Cache"), response.text


def _until_home_shows(platform: LivePlatform, text: str) -> None:
    """A fresh process may miss a fragment on its first pages (templates compiling)."""
    deadline = time.monotonic() + 30
    while text not in _home(platform)[1]:
        assert time.monotonic() < deadline, f"blog's home never showed {text!r}"
        time.sleep(0.5)


def test_an_event_renamed_elsewhere_shows_on_blogs_cached_home_at_once(
    live: tuple[LivePlatform, EmbeddedRedis], settings: Settings
) -> None:
    platform, _ = live
    event_id = asyncio.run(_in_session(platform.database_url, _add_walk))
    _until_home_shows(platform, "Lantern walk")
    state, html = _home(platform)
    assert state == "HIT" and "Lantern walk" in html

    async def rename() -> None:
        redis = Redis.from_url(platform.redis_url)
        try:

            async def work(session: AsyncSession) -> None:
                async with unit_of_work(session, settings, redis) as uow:
                    event = await uow.session.get(Event, event_id)
                    assert event is not None
                    data = _input_of(event, title="Lantern parade")
                    await update_event(uow.session, event, data, publish=False)

            await _in_session(platform.database_url, work)
        finally:
            await redis.aclose()

    asyncio.run(rename())
    state, html = _home(platform)
    assert state == "MISS" and "Lantern parade" in html and "Lantern walk" not in html
    state, html = _home(platform)
    assert state == "HIT" and "Lantern parade" in html


def test_with_redis_stopped_the_cached_pages_still_render(
    live: tuple[LivePlatform, EmbeddedRedis],
) -> None:
    platform, server = live
    asyncio.run(_in_session(platform.database_url, _add_walk))
    _until_home_shows(platform, "Lantern walk")
    assert _home(platform)[0] == "HIT"
    server.stop()
    for _ in range(3):
        state, html = _home(platform)
        assert state is None and "<html" in html

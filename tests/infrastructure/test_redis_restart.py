"""Redis restarts under a signed-in member: every connection the app had pooled was closed
by the old server, and each must be replaced on its next use, not fail once (which served
the member signed out, at any time after Redis was back: bench/faults.py saw 11 s)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.embedded import start_redis
from shared.infrastructure.config import RedisSettings, Settings
from shared.infrastructure.runtime import runtime
from shared.infrastructure.sessions import AppSessions
from tests.conftest import AppFactory
from tests.support.factories import make_user

pytestmark = pytest.mark.slow
READERS = 8


async def test_a_member_stays_signed_in_on_every_request_after_redis_restarts(
    make_app: AppFactory, settings: Settings, db: AsyncSession, tmp_path: Path
) -> None:
    server = start_redis(tmp_path / "redis", persist=True)
    try:
        own = settings.model_copy(update={"redis": RedisSettings(url=server.url)})
        app = await make_app("events", app_settings=own)
        dana = await make_user(db, "dana")
        sessions_redis = Redis.from_url(server.url)
        try:
            session = await AppSessions(sessions_redis, "events", 3600).create(
                user_id=dana.id,
                op_sid="test-sid",
                id_token="t",
                access_token="t",
                refresh_token=None,
                access_expires_at=time.time() + 3600,
            )
        finally:
            await sessions_redis.aclose()
        client = app.test_client()
        client.set_cookie("localhost", "ra_session", session.cookie_value)

        async def read_bookings() -> list[int]:
            return [(await client.get("/bookings/")).status_code for _ in range(READERS)]

        async def at_once() -> None:
            # Several commands at once, as under load: the pool holds READERS connections.
            await asyncio.gather(*(pool.get("nothing") for _ in range(READERS)))

        pool = runtime(app).redis
        assert await read_bookings() == [200] * READERS
        await at_once()
        port = server.port
        server.stop()
        server = start_redis(tmp_path / "redis", port, persist=True)  # sessions kept (AOF)
        assert await read_bookings() == [200] * READERS
        await at_once()  # every other pooled connection, closed by the old server, too
        page = await client.get("/bookings/")
        assert "Your bookings" in await page.get_data(as_text=True)
    finally:
        server.stop()

"""What one app process holds open: its settings, database and Redis client."""

from __future__ import annotations

from dataclasses import dataclass, field

from quart import Quart, g
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.db import Database

EXTENSION_KEY = "rose_ash"


@dataclass
class Runtime:
    name: str
    settings: Settings
    db: Database
    _redis: Redis | None = field(default=None, repr=False)

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("Redis is not open: serve the app through its lifespan")
        return self._redis

    async def open(self) -> None:
        self.db.open()
        # Short timeouts: a stuck Redis must degrade a page, not hang it.
        self._redis = Redis.from_url(
            self.settings.redis.url,
            socket_connect_timeout=2,
            socket_timeout=2,
            health_check_interval=30,
        )

    async def close(self) -> None:
        await self.db.close()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def runtime(app: Quart) -> Runtime:
    return app.extensions[EXTENSION_KEY]


def request_session(app: Quart) -> AsyncSession:
    """The request's one AsyncSession, opened on first use, closed at teardown."""
    if "db_session" not in g:
        g.db_session = runtime(app).db.session()
    return g.db_session


async def close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        await session.close()

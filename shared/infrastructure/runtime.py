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
    _cache_redis: Redis | None = field(default=None, repr=False)

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("Redis is not open: serve the app through its lifespan")
        return self._redis

    @property
    def cache_redis(self) -> Redis:
        """The fragment cache's Redis: its own (evicting) instance in the stack."""
        if self._cache_redis is None:
            raise RuntimeError("Redis is not open: serve the app through its lifespan")
        return self._cache_redis

    async def open(self) -> None:
        self.db.open()
        self._redis = _connect(self.settings.redis.url)
        cache = self.settings.redis.cache
        self._cache_redis = self._redis if cache == self.settings.redis.url else _connect(cache)

    async def close(self) -> None:
        await self.db.close()
        if self._cache_redis is not None and self._cache_redis is not self._redis:
            await self._cache_redis.aclose()
        self._cache_redis = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _connect(url: str) -> Redis:
    # Short timeouts: a stuck Redis must degrade a page, not hang it.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)


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

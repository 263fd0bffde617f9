"""The one composition root: `bootstrap(settings)` builds what a process holds open.

Every app (through `create_base_app`), the worker and every command starts
here, so each gets the same parts the same way:

    platform = bootstrap(settings, name="worker")
    async with platform:                 # open() ... close(), in one order
        async with platform.unit_of_work() as uow:
            ...

`bootstrap()` itself does no I/O: it wires the services registry (once per
process) and the event handlers, and says what `open()` will make. `open()`
makes, in order: the database engine and sessionmaker, the Redis clients,
the HTTP clients (internal/OIDC, then federation), the fragment cache;
`close()` undoes it in reverse. An app opens it in `before_serving` and
closes it in `after_serving` (tozo's pattern), so a module that builds an
app does nothing until it is served.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import EventHandlers
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.db import Database
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.mail import Mailer, make_mailer
from shared.infrastructure.media.storage import MediaStorage, make_media_storage
from shared.infrastructure.relying_party import HTTP_TIMEOUT_SECONDS
from shared.infrastructure.uow import UnitOfWork
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services_once

# An app process keeps fewer server-to-server requests in flight than the worker.
APP_FEDERATION_CONNECTIONS = 100


def _connect_redis(url: str) -> Redis:
    # Short timeouts: a stuck Redis must degrade a page, not hang it. One retry, at once,
    # on a connection error: after Redis restarts, every connection idle in the pool is
    # closed, and without it each one failed its next command, however much later (a
    # member served signed out 11 s after Redis was back, bench/faults.py). Our commands
    # tolerate a repeat (SET, GET, DEL; an INCR of a rate limit counts once more at worst).
    return Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )


def _not_open(what: str) -> RuntimeError:
    return RuntimeError(f"{what} is not open: open the platform first")


class Platform:
    """Everything one process holds open, one attribute per purpose.

    `redis` keeps what must not be evicted (sign-in sessions, pending logins,
    rate limits); `cache_redis` holds the fragment cache, which may be evicted
    (its own `allkeys-lru` instance in the stack, `REDIS_CACHE_URL`; the same
    client when both URLs are equal, as in dev and tests).
    `media` is the upload storage.
    """

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        handlers: EventHandlers,
        federation_connections: int = APP_FEDERATION_CONNECTIONS,
    ) -> None:
        self.name = name
        self.settings = settings
        self.db = Database(settings.database)
        self.handlers = handlers
        self.mailer: Mailer = make_mailer(settings.mail)
        # Uploads: a filesystem today (a volume in the stack), S3-compatible later.
        self.media: MediaStorage = make_media_storage(settings.media)
        self._federation_connections = federation_connections
        self._redis: Redis | None = None
        self._cache_redis: Redis | None = None
        self._internal_http: httpx.AsyncClient | None = None
        self._federation_http: FederationClient | None = None
        self._fragment_cache: FragmentCache | None = None

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise _not_open("Redis")
        return self._redis

    @property
    def cache_redis(self) -> Redis:
        if self._cache_redis is None:
            raise _not_open("the cache's Redis")
        return self._cache_redis

    @property
    def internal_http(self) -> httpx.AsyncClient:
        """HTTP to our own apps by their internal URLs (OIDC code exchange, keys, logout)."""
        if self._internal_http is None:
            raise _not_open("the internal HTTP client")
        return self._internal_http

    @property
    def federation_http(self) -> FederationClient:
        """HTTP to other fediverse servers, address-guarded and signed."""
        if self._federation_http is None:
            raise _not_open("the federation HTTP client")
        return self._federation_http

    @property
    def fragment_cache(self) -> FragmentCache:
        if self._fragment_cache is None:
            raise _not_open("the fragment cache")
        return self._fragment_cache

    @property
    def is_open(self) -> bool:
        return self._redis is not None

    async def open(self) -> None:
        self.db.open()
        self._redis = _connect_redis(self.settings.redis.url)
        cache_url = self.settings.redis.cache
        self._cache_redis = (
            self._redis if cache_url == self.settings.redis.url else _connect_redis(cache_url)
        )
        # The relying party's settings: internal URLs never go through a proxy.
        self._internal_http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, trust_env=False)
        self._federation_http = FederationClient(
            self.settings.activitypub, max_connections=self._federation_connections
        )
        fragments = self.settings.fragments
        self._fragment_cache = FragmentCache(
            self._cache_redis,
            keep_stale=fragments.keep_stale,
            timeout=fragments.cache_timeout,
            cooldown=fragments.cooldown,
        )

    async def close(self) -> None:
        self._fragment_cache = None
        if self._federation_http is not None:
            await self._federation_http.aclose()
            self._federation_http = None
        if self._internal_http is not None:
            await self._internal_http.aclose()
            self._internal_http = None
        if self._cache_redis is not None and self._cache_redis is not self._redis:
            await self._cache_redis.aclose()
        self._cache_redis = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        await self.db.close()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def unit_of_work(self, session: AsyncSession | None = None) -> UnitOfWork:
        """A unit of work on `session`, or on a new session it closes at the end."""
        return UnitOfWork(
            session if session is not None else self.db.session(),
            handlers=self.handlers,
            fragments=self.fragment_cache,
            owns_session=session is None,
        )


def bootstrap(
    settings: Settings,
    *,
    name: str = "worker",
    federation_connections: int = APP_FEDERATION_CONNECTIONS,
) -> Platform:
    """The process's platform, not yet open; the services registry wired (once per process)."""
    wire_services_once(settings)
    return Platform(
        name,
        settings,
        handlers=event_handlers(),
        federation_connections=federation_connections,
    )

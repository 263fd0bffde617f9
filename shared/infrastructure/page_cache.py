"""The whole-page cache, for anonymous visitors and for each member's session, invalidated
by every committed domain event.

A page an anonymous visitor sees is the same for every anonymous visitor but for
one value: the CSRF token of its forms. So the first anonymous GET of a page
renders it (`X-Cache: MISS`) and keeps the HTML with that token replaced by a
placeholder; the next ones (`X-Cache: HIT`) are answered in front of Quart
(page_cache_serving.py), without the view or its fragment fetches, with their
own browser's token put in (and its CSRF cookie set, as on any page).

A signed-in member's pages are theirs alone, so theirs are kept per app session,
under the SHA-256 of the session cookie (as the session itself is in Redis, so
the key never holds the cookie): a member reading the market again and again is
served their own copy. It is served only while that session exists (the lookup
checks it in the same round trip when sessions and cache share a Redis), so
signing out, a back-channel logout or a session's expiry ends it at once; and
kept only when the view really rendered for that session's member. A member's
own change (a cart line, a booking) is a write request or an event like any
other, so it makes a new generation and shows on their next page.

Keys (in the cache Redis, beside the fragments):

    page:v1:gen                                             the platform's generation
    page:v1:<app>:<generation>:<METHOD>:<scheme>://<host><path>?<sorted query>
    page:v1:<app>:m:<session digest>:<generation>:GET:<same>  a member's own copy

ONE generation for the whole platform, because a page composes fragments of
other apps (a market price shows on the blog's home). It changes after the
commit of every unit of work that recorded a domain event (the unit of work
calls `FragmentCache.invalidate_pages`, after its fragment invalidations, so a
page rendered on the new generation cannot pick up a stale fragment), and after
every successful POST/PUT/PATCH/DELETE on any app, for writes without an event.
What no event marks (time passing) is bounded by the entries' TTL
(`PAGE_CACHE_TTL`, 0 turns the cache off).

A new generation is a new unique value, not an INCR: the cache Redis evicts
(allkeys-lru), and a counter evicted and restarted at 1 would revive copies
stored under an old 1. A missing generation is set to a fresh value when read.
A page stores under the generation it read before rendering, so a render that
raced a change is stored under a generation nobody reads any more.

Who is cached: GET (HEAD goes to the app) without Authorization and without
any cookie that changes the page but the app's own session cookie (every
`ra_*` cookie but the CSRF one, the sign-in check's marker and the sign-in's
browser binding: the anonymous cart, a second session, federation's own
session for a visitor), not asking for JSON (ActivityPub), and, for a visitor,
not a first navigation the silent sign-in check may redirect. What: a 200
text/html answer that set no cookie and is not `Cache-Control: private` or
`no-store`. Never: the sign-in machinery, admin, internal and static paths, the
per-app prefixes below, and views marked `@no_page_cache` (pages behind a
secret token in their address). An address with a query string is kept from its
second render on, so invented queries leave small markers, not pages. Redis
failing is never an error page: the page renders as if there were no cache,
and the cache is skipped for a cooldown after a failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis

from shared.infrastructure.cache_guard import REDIS_FAILURES, Cooldown, describe

log = logging.getLogger(__name__)

PREFIX = "page:v1"
GENERATION_KEY = f"{PREFIX}:gen"
# Stands for this visitor's CSRF token in a stored page; cannot be a token (hex only).
CSRF_PLACEHOLDER = "\x00ra-page-cache-csrf\x00"
EXTENSION_KEY = "rose_ash_page_cache"
# A miss's ASGI scope carries this; Quart's approval comes back in this response header.
SCOPE_KEY = "rose_ash.page_cache_candidate"
KEEP_HEADER = b"x-rose-ash-page-cache-keep"

# Never cached on any app: sign-in, machines, probes, files, and staff pages.
UNCACHED_PREFIXES = (
    "/auth/",
    "/oauth/",
    "/.well-known/",
    "/internal/",
    "/static/",
    "/media/",
    "/healthz",
    "/readyz",
    "/admin/",
    "/api/",
)
# Per app, the pages that are the visitor's own even when no cookie says who they are.
APP_UNCACHED_PREFIXES: dict[str, tuple[str, ...]] = {
    "cart": ("/checkout", "/orders", "/stall-orders", "/lines/"),
    "federation": ("/signin", "/signup", "/password/", "/email/", "/security"),
    "account": ("/profile/", "/privacy/", "/orders/", "/tickets/", "/bookings/"),
    "events": ("/bookings/", "/tickets/", "/manage/"),
    "market": ("/stalls/apply/", "/stalls/mine/"),
}
# A longer address is somebody filling the cache, not a page worth keeping.
MAX_TARGET_LENGTH = 1024
# Our largest pages are tens of KB; a page beyond this is not worth a Redis value.
MAX_BODY_BYTES = 512 * 1024

# One round trip: the generation (set when missing), then, for a member, whether their
# session still exists (KEYS[2]; signed out is never served a copy), then the entry.
_LOOKUP_SCRIPT = """
local gen = redis.call('GET', KEYS[1])
if not gen then
  gen = ARGV[1]
  redis.call('SET', KEYS[1], gen)
end
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 0 then
  return {gen, false, 0}
end
return {gen, redis.call('GET', ARGV[2] .. gen .. ARGV[3]), 1}
"""

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def no_page_cache(view: F) -> F:
    """Never keep this view's page (it shows what its address's secret opens, say)."""
    view._no_page_cache = True  # type: ignore[attr-defined]
    return view


def new_generation() -> bytes:
    return f"{time.time_ns():x}.{secrets.token_hex(4)}".encode()


async def bump_generation(redis: Redis, *, within: float) -> None:
    """Make every cached page stale at once; logged, never raised (the change is committed)."""
    try:
        async with asyncio.timeout(within):
            await redis.set(GENERATION_KEY, new_generation())
    except REDIS_FAILURES as exc:
        log.error(
            "page cache: could not invalidate pages (%s); they show old data until their TTL ends",
            describe(exc),
        )


@dataclass(frozen=True, slots=True)
class CachedPage:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def encode(self) -> bytes:
        head = json.dumps([self.status, self.headers], separators=(",", ":")).encode()
        return head + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> CachedPage | None:
        head, sep, body = raw.partition(b"\n")
        if not sep:
            return None
        try:
            status, headers = json.loads(head)
            return cls(
                status=int(status), headers=[(str(k), str(v)) for k, v in headers], body=body
            )
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class PageKey:
    """The parts of a page's key around the generation."""

    head: str
    tail: str
    has_query: bool = False

    def at(self, generation: bytes) -> str:
        return f"{self.head}{generation.decode()}{self.tail}"


class PageCache:
    """Reads and writes whole pages, never letting a Redis problem break one (see the module)."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl: int,
        timeout: float,
        cooldown: float,
        sessions: Redis | None = None,
    ) -> None:
        self._redis = redis
        # Where the members' sessions are (the platform Redis); the lookup script checks
        # them itself when they share the cache's Redis.
        self._sessions = redis if sessions is None else sessions
        self.ttl = ttl
        self._timeout = timeout
        self._guard = Cooldown("page cache", cooldown, meanwhile="pages render without it", log=log)
        self._lookup = redis.register_script(_LOOKUP_SCRIPT)

    @property
    def available(self) -> bool:
        return self._guard.available

    async def read(
        self, key: PageKey, *, session: str | None = None
    ) -> tuple[bytes, CachedPage | None] | None:
        """The generation now and the page stored under it; None when Redis is unavailable,
        or when `session` (a member's session key) no longer exists."""
        if not self.available:
            return None
        keys = [GENERATION_KEY]
        try:
            async with asyncio.timeout(self._timeout):
                if session is not None and self._sessions is self._redis:
                    keys.append(session)
                elif session is not None and not await self._sessions.exists(session):
                    return None
                generation, raw, alive = await self._lookup(
                    keys=keys,
                    args=[new_generation(), key.head, key.tail],
                )
        except REDIS_FAILURES as exc:
            self._guard.failed("read", exc)
            return None
        if not alive:
            return None
        return generation, CachedPage.decode(raw) if raw else None

    async def store(self, key: PageKey, generation: bytes, page: CachedPage) -> None:
        """Keep `page` under the generation read before it was rendered. An address with a
        query is kept from its second render within the TTL on: anyone can invent queries
        (`/?x=<random>`), and each would otherwise hold a whole page in Redis; a first one
        leaves only a small marker."""
        if not self.available:
            return
        try:
            async with asyncio.timeout(self._timeout):
                if key.has_query and await self._redis.set(
                    f"{PREFIX}:seen:{key.head}{key.tail}", b"1", nx=True, ex=self.ttl
                ):
                    return
                await self._redis.set(key.at(generation), page.encode(), ex=self.ttl)
        except REDIS_FAILURES as exc:
            self._guard.failed("write", exc)

    async def invalidate(self) -> None:
        # Always attempted, even in a cooldown: a missed invalidation shows old data.
        await bump_generation(self._redis, within=self._timeout * 5)

"""The Redis cache of fragments, and how domain writes invalidate it.

Keys (all under `frag:v1:`):

    frag:v1:<app>:<type>:<scope>:<params>   the last good copy (generation, fetch time, html)
    frag:v1:gen:<app>:<type>:<scope>        the scope's generation (absent = "0")

`scope` is `all` for a fragment that is the same for everyone, `u<id>` for a
member, `c<hash of the cart token>` for an anonymous cart, `anon` otherwise;
`params` is the sorted query string (`-` when empty).

One copy per key serves two purposes: it is *fresh* while it is younger than
its type's TTL and its generation is the scope's current one, and it is the
*last good copy* (kept `keep_stale` seconds) when the provider is slow or
down. A page reads every copy and every generation it needs in one MGET.

Invalidation bumps the scope's generation (INCR): one O(1) command, and
every copy of that type in that scope, whatever its params, stops being
fresh at once. A fetch that started before the change was committed
carries the generation it read before fetching, so the old HTML it may
bring back is stored under the old generation and never passes for fresh:
the classic "delete, then a slow reader re-caches the old value" race
cannot happen. Invalidation runs after the commit: domain services record
events (`CartChanged`, `NavigationChanged`, ...) and their after-commit
handlers (shared/services/handlers.py) call `invalidate` once the unit of
work has committed (shared/infrastructure/uow.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from redis.asyncio import Redis

from shared.contracts.widgets import FragmentRequest, FragmentScope
from shared.infrastructure.cache_guard import REDIS_FAILURES, Cooldown, describe
from shared.infrastructure.page_cache import bump_generation

log = logging.getLogger(__name__)

PREFIX = "frag:v1"
NO_GENERATION = b"0"


@dataclass(frozen=True, slots=True)
class FragmentKey:
    entry: str
    generation: str

    @classmethod
    def of(cls, request: FragmentRequest, scope: str) -> FragmentKey:
        params = urlencode(request.params) or "-"
        return cls(
            entry=f"{PREFIX}:{request.app}:{request.type}:{scope}:{params}",
            generation=_generation_key(request.app, request.type, scope),
        )


def _generation_key(app: str, type_: str, scope: str) -> str:
    return f"{PREFIX}:gen:{app}:{type_}:{scope}"


@dataclass(frozen=True, slots=True)
class CachedFragment:
    html: str
    fetched_at: float
    generation: bytes

    def encode(self) -> bytes:
        head = self.generation + b"\n" + f"{self.fetched_at:.3f}".encode() + b"\n"
        return head + self.html.encode()

    @classmethod
    def decode(cls, raw: bytes) -> CachedFragment | None:
        parts = raw.split(b"\n", 2)
        if len(parts) != 3:
            return None
        try:
            fetched_at = float(parts[1])
        except ValueError:
            return None
        return cls(html=parts[2].decode(), fetched_at=fetched_at, generation=parts[0])

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the cache holds for one key: the copy (if any) and the scope's generation now."""

    copy: CachedFragment | None
    generation: bytes

    def fresh(self, ttl: int, now: float) -> CachedFragment | None:
        copy = self.copy
        if copy is None or copy.generation != self.generation or copy.age(now) >= ttl:
            return None
        return copy


MISS = Lookup(copy=None, generation=NO_GENERATION)


class FragmentCache:
    """Reads and writes fragments in Redis, never letting a Redis problem break a page.

    Every call is bounded by `timeout`; after a failure the cache is skipped for
    `cooldown` seconds (pages fetch without it) so a dead Redis costs one
    timeout per cooldown, not one per page.
    """

    def __init__(
        self, redis: Redis, *, keep_stale: int, timeout: float, cooldown: float = 1.0
    ) -> None:
        self._redis = redis
        self._keep = keep_stale
        self._timeout = timeout
        self._guard = Cooldown(
            "fragment cache", cooldown, meanwhile="pages fetch without the cache", log=log
        )

    @property
    def available(self) -> bool:
        return self._guard.available

    async def read(self, keys: Sequence[FragmentKey]) -> dict[FragmentKey, Lookup]:
        """Copies and generations for `keys`; every key a MISS when Redis is unavailable."""
        if not keys or not self.available:
            return {key: MISS for key in keys}
        names = [key.entry for key in keys] + [key.generation for key in keys]
        try:
            async with asyncio.timeout(self._timeout):
                values = await self._redis.mget(names)
        except REDIS_FAILURES as exc:
            self._guard.failed("read", exc)
            return {key: MISS for key in keys}
        raw = [value.encode() if isinstance(value, str) else value for value in values]
        copies, generations = raw[: len(keys)], raw[len(keys) :]
        return {
            key: Lookup(
                copy=CachedFragment.decode(copy) if copy else None,
                generation=generation or NO_GENERATION,
            )
            for key, copy, generation in zip(keys, copies, generations, strict=True)
        }

    async def store(self, key: FragmentKey, html: str, generation: bytes) -> None:
        """Keep `html` as the copy of `key`, under the generation read before it was fetched."""
        if not self.available:
            return
        value = CachedFragment(html=html, fetched_at=time.time(), generation=generation)
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(key.entry, value.encode(), ex=self._keep)
        except REDIS_FAILURES as exc:
            self._guard.failed("write", exc)

    async def invalidate(self, scopes: Iterable[FragmentScope]) -> None:
        """Make every cached copy in these scopes stale at once (they stay as last good copies).

        Always attempted, even during a cooldown: a missed invalidation would
        show old data for a whole TTL. A failure is logged, never raised: the
        domain change is committed already.
        """
        scopes = sorted(set(scopes), key=lambda s: (s.type, s.scope))
        if not scopes:
            return
        try:
            async with asyncio.timeout(self._timeout * 5):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for item in scopes:
                        name = _generation_key(item.app, item.type, item.scope)
                        pipe.incr(name)
                        # Outlives every copy it guards, so a lost generation cannot revive one.
                        pipe.expire(name, self._keep + 3600)
                    await pipe.execute()
        except REDIS_FAILURES as exc:
            log.error(
                "fragment cache: could not invalidate %s (%s); they show old data "
                "until their TTL ends",
                ", ".join(f"{s.type}/{s.scope}" for s in scopes),
                describe(exc),
            )
            return
        log.info("fragment cache: invalidated %s", ", ".join(f"{s.type}/{s.scope}" for s in scopes))

    async def invalidate_pages(self) -> None:
        """Make every whole page cached for anonymous visitors stale (page_cache.py)."""
        await bump_generation(self._redis, within=self._timeout * 5)

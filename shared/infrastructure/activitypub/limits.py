"""In-process limits for what other servers make us do: key fetches, inbox traffic.

One `InboundLimits` per app process (it lives beside the federation client).
Everything here is bounded in memory (oldest entries go first) and needs no
Redis: an inbox flood must not become a Redis flood, and federation keeps
its limits when Redis is down. Each process limits its own share, which is
what protects its own database pool and event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

V = TypeVar("V")

# At most this many key fetches at once per process: each holds a socket and a
# slot of the federation client, never a database connection.
KEY_FETCH_SLOTS = 16
# How long a request may wait for a slot before it is told to come back (503).
KEY_FETCH_QUEUE_SECONDS = 2.0
# The whole key lookup (redirects, the RFC 9421 second knock, a bare Key's owner).
KEY_FETCH_DEADLINE_SECONDS = 10.0
# A keyId or host that just failed is not tried again for this long.
FAILURE_TTL_SECONDS = 120.0
# Inbox requests: a token bucket per source address and one per key host.
PER_SOURCE_PER_MINUTE = 600
PER_KEY_HOST_PER_MINUTE = 1200
# Inbound activities processed right after their 202, at once, per process; the
# rest wait for the EventProcessor.
BACKGROUND_TASKS = 32
MAX_ENTRIES = 10_000


class BoundedTtlCache(Generic[V]):
    """A dict whose entries expire after `ttl` seconds and which never holds more than
    `max_entries` (the least recently set go first)."""

    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def set(self, key: str, value: V, ttl: float | None = None) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key: `rate_per_minute` sustained, the same as a burst."""

    def __init__(self, rate_per_minute: int, max_entries: int = MAX_ENTRIES) -> None:
        self.capacity = float(rate_per_minute)
        self.per_second = rate_per_minute / 60.0
        self.max_entries = max_entries
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, key: str) -> float | None:
        """None when `key` may go on (and a token is spent); else seconds until it may."""
        now = time.monotonic()
        bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_entries:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.per_second


class KeyFetchBusyError(Exception):
    """Every key-fetch slot stayed busy: the sender should retry later (503)."""


@dataclass
class KeyFetchLimits:
    """Bounds key fetches: a few at once, each with a deadline, failures remembered."""

    slots: int = KEY_FETCH_SLOTS
    queue_seconds: float = KEY_FETCH_QUEUE_SECONDS
    deadline_seconds: float = KEY_FETCH_DEADLINE_SECONDS
    failure_ttl: float = FAILURE_TTL_SECONDS
    failed_keys: BoundedTtlCache[tuple[str, int | None]] = field(init=False)
    failed_hosts: BoundedTtlCache[str] = field(init=False)
    _semaphore: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.failed_keys = BoundedTtlCache(self.failure_ttl)
        self.failed_hosts = BoundedTtlCache(self.failure_ttl)
        self._semaphore = asyncio.Semaphore(self.slots)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one fetch slot; KeyFetchBusyError when none frees up in time."""
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self._semaphore.acquire()
        except TimeoutError:
            raise KeyFetchBusyError("too many key fetches in progress") from None
        try:
            yield
        finally:
            self._semaphore.release()


@dataclass
class InboundLimits:
    """Everything one app process bounds about inbound federation traffic."""

    keys: KeyFetchLimits = field(default_factory=KeyFetchLimits)
    per_source: RateLimiter = field(default_factory=lambda: RateLimiter(PER_SOURCE_PER_MINUTE))
    per_key_host: RateLimiter = field(default_factory=lambda: RateLimiter(PER_KEY_HOST_PER_MINUTE))
    background_tasks: int = BACKGROUND_TASKS
    running: int = 0

    def start_background(self) -> bool:
        """Take a background-processing place; False when all are taken."""
        if self.running >= self.background_tasks:
            return False
        self.running += 1
        return True

    def end_background(self) -> None:
        self.running -= 1

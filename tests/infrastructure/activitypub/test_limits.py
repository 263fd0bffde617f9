"""The in-process limits: caches that forget and stay bounded, token buckets, key-fetch
slots that refuse once they stay busy, background places that are given back."""

from __future__ import annotations

import asyncio

import pytest

from shared.infrastructure.activitypub.http import AddressGuard
from shared.infrastructure.activitypub.limits import (
    BoundedTtlCache,
    InboundLimits,
    KeyFetchBusyError,
    KeyFetchLimits,
    RateLimiter,
)


def test_a_bounded_cache_drops_the_oldest_and_forgets_the_expired() -> None:
    cache: BoundedTtlCache[int] = BoundedTtlCache(ttl=60, max_entries=3)
    for i in range(5):
        cache.set(f"k{i}", i)
    assert len(cache) == 3
    assert cache.get("k0") is None and cache.get("k4") == 4
    cache.set("short", 1, ttl=-1)
    assert cache.get("short") is None


async def test_the_dns_cache_holds_at_most_its_bound() -> None:
    guard = AddressGuard(())
    guard._cache.max_entries = 5
    await guard._resolve("localhost", 80)  # a real resolution lands in the cache
    assert guard._cache.get("localhost")
    for i in range(20):  # as many names as a peer may make us resolve
        guard._cache.set(f"name{i}.example", [])
    assert len(guard._cache) == 5 and guard._cache.get("localhost") is None


def test_a_rate_limiter_allows_its_burst_then_says_how_long_to_wait() -> None:
    limiter = RateLimiter(rate_per_minute=3)
    assert [limiter.allow("a") for _ in range(3)] == [None, None, None]
    wait = limiter.allow("a")
    assert wait is not None and 0 < wait <= 20
    assert limiter.allow("b") is None  # another key has its own bucket


async def test_key_fetch_slots_refuse_when_they_stay_busy() -> None:
    limits = KeyFetchLimits(slots=1, queue_seconds=0.05)
    async with limits.slot():
        with pytest.raises(KeyFetchBusyError):
            async with limits.slot():
                pass
    async with asyncio.timeout(1):
        async with limits.slot():  # given back: free again
            pass


def test_background_places_are_bounded_and_given_back() -> None:
    limits = InboundLimits(background_tasks=2)
    assert [limits.start_background() for _ in range(3)] == [True, True, False]
    limits.end_background()
    assert limits.start_background()

"""Fixed-window limits in Redis: counted per bucket and key, refused past the allowance."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.infrastructure.rate_limit import Limit, RateLimiter

LIMIT = Limit("test", hits=3, window_seconds=60)


async def test_hits_past_the_allowance_are_refused_with_a_retry_time(redis: Redis) -> None:
    limiter = RateLimiter(redis)
    verdicts = [await limiter.hit(LIMIT, "Ada@Example.test") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 0 < verdicts[-1].retry_after <= 60
    assert not (await limiter.check(LIMIT, "ada@example.test")).allowed  # keys ignore case


async def test_keys_and_buckets_are_counted_apart(redis: Redis) -> None:
    limiter = RateLimiter(redis)
    for _ in range(3):
        await limiter.hit(LIMIT, "one")
    assert (await limiter.check(LIMIT, "two")).allowed
    assert (await limiter.check(Limit("other", 3, 60), "one")).allowed


async def test_redis_never_holds_the_key_itself(redis: Redis) -> None:
    await RateLimiter(redis).hit(LIMIT, "ada@example.test")
    keys = [k.decode() for k in await redis.keys("*")]
    assert keys and not any("ada" in k for k in keys)

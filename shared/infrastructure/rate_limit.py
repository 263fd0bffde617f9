"""Fixed-window rate limits in Redis, e.g. sign-in attempts per account and per address.

Each (bucket, key) counts hits in the current window; the key expires with
the window, so nothing needs cleaning up. The key is hashed: an email
address never appears in Redis as itself.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Limit:
    bucket: str
    hits: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str = "ra:rl") -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, limit: Limit, key: str) -> tuple[str, int]:
        now = int(time.time())
        window = now // limit.window_seconds
        digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]
        retry_after = (window + 1) * limit.window_seconds - now
        return f"{self.prefix}:{limit.bucket}:{digest}:{window}", retry_after

    async def check(self, limit: Limit, key: str) -> Verdict:
        """Whether another hit is allowed now, without counting one."""
        name, retry_after = self._key(limit, key)
        count = int(await self.redis.get(name) or 0)
        return Verdict(count < limit.hits, retry_after)

    async def hit(self, limit: Limit, key: str) -> Verdict:
        """Count a hit; `allowed` is False once the window's allowance is spent."""
        name, retry_after = self._key(limit, key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, limit.window_seconds + 1)
            count, _ = await pipe.execute()
        return Verdict(int(count) <= limit.hits, retry_after)

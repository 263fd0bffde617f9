"""Fixed-window rate limits in Redis, e.g. sign-in attempts per account and address.

Each (bucket, key) counts hits in the current window; the key expires with
the window, so nothing needs cleaning up. The key is hashed: an email
address never appears in Redis as itself.

Count first, then decide (`hit`): INCR is atomic, so a parallel burst is
counted hit by hit and only the allowance gets through; checking before
counting let every request of a burst pass the check. Addresses are
bucketed by `address_bucket`: one IPv6 host usually holds a whole /64.
"""

from __future__ import annotations

import hashlib
import ipaddress
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


IPV6_PREFIX = 64


def address_bucket(address: str | None) -> str:
    """The unit an address is limited as: itself for IPv4, its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/{IPV6_PREFIX}", strict=False))
    return str(ip)


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

    async def forget(self, limit: Limit, key: str) -> None:
        """Drop the window's count for `key` (e.g. a pair's failures after a success)."""
        name, _ = self._key(limit, key)
        await self.redis.delete(name)

    async def count(self, limit: Limit, key: str) -> int:
        """Hits counted in the current window."""
        name, _ = self._key(limit, key)
        return int(await self.redis.get(name) or 0)

    async def hit(self, limit: Limit, key: str) -> Verdict:
        """Count a hit; `allowed` is False once the window's allowance is spent."""
        name, retry_after = self._key(limit, key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, limit.window_seconds + 1)
            count, _ = await pipe.execute()
        return Verdict(int(count) <= limit.hits, retry_after)

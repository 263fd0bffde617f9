"""How the Redis caches (fragments, whole pages) survive Redis failing.

A cache is an optimisation, so a Redis problem must never become an error page:
the call that failed answers as a miss, and the cache is then skipped for a
cooldown, so a dead Redis costs one timeout per cooldown rather than one per
request. The first failure of an outage is logged; the rest of it is not.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

# What a Redis call bounded by asyncio.timeout can raise when Redis is down or slow.
REDIS_FAILURES: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


def describe(exc: BaseException) -> str:
    """`ConnectionError: ...`, or `TimeoutError: timed out` for the bare timeout."""
    return f"{type(exc).__name__}: {exc or 'timed out'}"


class Cooldown:
    """Skips a cache for `seconds` after a failure, logging once per outage."""

    def __init__(self, name: str, seconds: float, *, meanwhile: str, log: logging.Logger) -> None:
        self._name = name
        self._seconds = seconds
        self._meanwhile = meanwhile
        self._log = log
        self._until = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._until

    def failed(self, what: str, exc: BaseException) -> None:
        if self.available:
            self._log.warning(
                "%s: %s failed (%s); %s for %.1f s",
                self._name,
                what,
                describe(exc),
                self._meanwhile,
                self._seconds,
            )
        self._until = time.monotonic() + self._seconds

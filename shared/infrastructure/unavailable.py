"""Telling "PostgreSQL or Redis is not answering" apart from a bug.

A request that fails because a backing service is restarting is not a crash: the member
gets a 503 page that says what is down and when to retry (Retry-After), the log gets one
warning line instead of a traceback, and the app recovers by itself once the service is
back (the pools reconnect on the next checkout). Everything else stays a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import asyncpg
import redis.exceptions
import sqlalchemy.exc

RETRY_AFTER_SECONDS = 5

DATABASE = "the database"
CACHE = "the cache (Redis)"

# Failures of the connection itself, never of a statement: a constraint violation or a
# syntax error must stay a 500 that someone looks at.
_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # the pool had no connection to give in time
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception behind it: causes, contexts, and SQLAlchemy's wrapped
    DBAPI error with *its* causes (asyncpg's own error sits behind the dialect's)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for link in (orig, current.__cause__, current.__context__):
            if isinstance(link, BaseException):
                pending.append(link)


def _raised_in(tb: TracebackType | None, package: str) -> bool:
    marker = f"/{package}/"
    while tb is not None:
        if marker in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False


def unavailable_service(error: BaseException) -> str | None:
    """Which backing service `error` says cannot be reached, or None for any other error."""
    for link in _chain(error):
        if isinstance(link, _DATABASE_ERRORS):
            return DATABASE
        if isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated:
            return DATABASE
        if isinstance(link, _REDIS_ERRORS):
            return CACHE
        # A refused or reset socket is the service's only if raised inside its driver.
        if isinstance(link, OSError | TimeoutError):
            if _raised_in(link.__traceback__, "asyncpg"):
                return DATABASE
            if _raised_in(link.__traceback__, "redis"):
                return CACHE
    return None

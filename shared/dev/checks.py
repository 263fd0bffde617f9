"""Can we reach the database and Redis? One clear line when we cannot.

The dev runner checks both before migrating, so a wrong `DATABASE_URL` shows
up as `error: cannot reach the database at ... (DATABASE_URL): connection
refused`, not as a traceback from deep inside Alembic.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis
import redis.exceptions

CONNECT_TIMEOUT = 5.0


class UnreachableError(Exception):
    """A server did not answer; the message is one line, fit to show as is."""


def redact(url: str) -> str:
    """`url` with its password, if any, replaced by `***` (safe to print)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _reason(exc: BaseException) -> str:
    """A short, human reason for a failed connection."""
    if isinstance(exc, ConnectionRefusedError) or "Connection refused" in str(exc):
        return "connection refused"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | redis.exceptions.TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:.0f} s"
    if isinstance(exc, socket.gaierror) or "Name or service not known" in str(exc):
        return "unknown host"
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return "authentication failed"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return message or type(exc).__name__


async def _connect_postgres(url: str) -> None:
    # asyncpg speaks plain postgresql:// URLs; SQLAlchemy's dialect suffix means nothing to it.
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()


def check_database(url: str, source: str) -> None:
    """Connect to PostgreSQL at `url` and run one query, or raise UnreachableError.

    `source` says where the URL came from (e.g. "DATABASE_URL"), for the message.
    """
    try:
        asyncio.run(asyncio.wait_for(_connect_postgres(url), CONNECT_TIMEOUT + 1))
    except Exception as exc:
        raise UnreachableError(
            f"cannot reach the database at {redact(url)} ({source}): {_reason(exc)}"
        ) from exc


def check_redis(url: str, source: str) -> None:
    """PING Redis at `url`, or raise UnreachableError."""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        raise UnreachableError(
            f"cannot reach Redis at {redact(url)} ({source}): {_reason(exc)}"
        ) from exc

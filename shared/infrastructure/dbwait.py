"""Wait until PostgreSQL accepts connections, for the container entry points.

    python -m shared.infrastructure.dbwait [--timeout SECONDS]

Reads DATABASE_URL, tries to connect (and run `SELECT 1`) until it works or
the deadline passes. Swarm starts the apps and PostgreSQL together, so the
apps must not crash-loop while the database is still starting; but an
operator with a wrong host or password must learn it in one clear line, not
from a service that hangs. Exit status: 0 ready, 1 gave up, 2 misconfigured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg

PREFIX = "entrypoint:"
# Between attempts: short, so an app starts within a second of the database.
RETRY_DELAY = 0.5
# How often a still-waiting line is printed, so logs show progress, not noise.
PROGRESS_EVERY = 5.0
# Cap on one attempt, so a black-holed host still lets us retry and report.
ATTEMPT_TIMEOUT = 5.0

# Errors that waiting cannot fix: report them at once instead of at the deadline.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidPasswordError,
    asyncpg.InvalidCatalogNameError,
)


def plain_url(url: str) -> str:
    """The URL with the scheme asyncpg accepts (SQLAlchemy's `+asyncpg` removed)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"postgresql", "postgresql+asyncpg", "postgres"}:
        raise ValueError("DATABASE_URL must be a postgresql:// URL")
    return f"postgresql://{rest}"


def redact(url: str) -> str:
    """The URL as it may appear in logs: the password replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def describe(error: BaseException) -> str:
    """A short, operator-readable reason for a failed attempt."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    if isinstance(error, OSError) and error.args:
        # asyncpg joins one error per address ("Multiple exceptions: ...").
        return str(error.args[0]) if len(error.args) == 1 else str(error)
    return str(error) or type(error).__name__


async def try_connect(url: str, attempt_seconds: float) -> None:
    """One attempt: connect, run `SELECT 1`, close. Raises on failure."""
    connection = await asyncpg.connect(url, timeout=attempt_seconds)
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()


async def wait_for_postgres(url: str, give_up_after: float) -> str | None:
    """Retry until PostgreSQL answers; None when it did, else why it never did."""
    target = redact(url)
    start = time.monotonic()
    deadline = start + give_up_after
    last_progress: float | None = None
    while True:
        remaining = deadline - time.monotonic()
        try:
            await try_connect(url, max(0.1, min(ATTEMPT_TIMEOUT, remaining)))
        except PERMANENT_ERRORS as error:
            return describe(error)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            reason = describe(error)
        else:
            waited = time.monotonic() - start
            print(f"{PREFIX} PostgreSQL at {target} is ready ({waited:.1f}s)", file=sys.stderr)
            return None
        now = time.monotonic()
        if now >= deadline:
            return reason
        if last_progress is None or now - last_progress >= PROGRESS_EVERY:
            left = deadline - now
            print(
                f"{PREFIX} waiting for PostgreSQL at {target} ({reason}), {left:.0f}s left",
                file=sys.stderr,
            )
            last_progress = now
        await asyncio.sleep(min(RETRY_DELAY, deadline - now))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.infrastructure.dbwait",
        description="Wait until the PostgreSQL at DATABASE_URL accepts connections.",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="give up after SECONDS (default 60)"
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")

    raw = os.environ.get("DATABASE_URL", "")
    if not raw:
        print(f"{PREFIX} DATABASE_URL is not set: give the PostgreSQL URL", file=sys.stderr)
        return 2
    try:
        url = plain_url(raw)
    except ValueError as error:
        print(f"{PREFIX} {error}", file=sys.stderr)
        return 2

    reason = asyncio.run(wait_for_postgres(url, args.timeout))
    if reason is None:
        return 0
    print(
        f"{PREFIX} gave up waiting for PostgreSQL at {redact(url)} "
        f"after {args.timeout:g}s: {reason}",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Job kinds used only by the tests; a worker process imports them through
JOBS_KIND_MODULES=tests.infrastructure.jobs.kinds (never production code).

Every run is written to `job_test_runs` (created by the tests' database fixture)
in its own committed transaction, so a test reads what really ran, where.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from shared.infrastructure.jobs import JobContext, job_kind

RUNS_TABLE = """
CREATE TABLE job_test_runs (
    id serial PRIMARY KEY,
    job_id bigint NOT NULL,
    n integer,
    attempt integer NOT NULL,
    outcome text NOT NULL,
    worker text NOT NULL,
    tick text,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


async def note(ctx: JobContext, payload: dict[str, Any], outcome: str) -> None:
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO job_test_runs (job_id, n, attempt, outcome, worker, tick) "
                "VALUES (:job, :n, :attempt, :outcome, :worker, :tick)"
            ),
            {
                "job": ctx.job_id,
                "n": payload.get("n"),
                "attempt": ctx.attempt,
                "outcome": outcome,
                "worker": ctx.worker,
                "tick": payload.get("tick"),
            },
        )


class Planned(Exception):
    """The failure a test asked for."""


@job_kind("test.flaky", max_attempts=3, backoff=timedelta(milliseconds=50))
async def flaky(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Fails its first `fail_times` attempts (every attempt if `always_fail`), then succeeds."""
    await asyncio.sleep(float(payload.get("sleep", 0.0)))
    if payload.get("always_fail") or ctx.attempt <= int(payload.get("fail_times", 0)):
        await note(ctx, payload, "failed")
        raise Planned(f"planned failure of attempt {ctx.attempt}")
    await note(ctx, payload, "succeeded")


@job_kind("test.slow", max_attempts=3, backoff=timedelta(milliseconds=50))
async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Notes its start, takes `seconds`, notes its end."""
    await note(ctx, payload, "started")
    await asyncio.sleep(float(payload["seconds"]))
    await note(ctx, payload, "succeeded")


@job_kind("test.timeout", max_attempts=1, timeout=timedelta(seconds=0.2))
async def too_slow(ctx: JobContext, payload: dict[str, Any]) -> None:
    await asyncio.sleep(10)


@job_kind("test.outlives_database", max_attempts=3, backoff=timedelta(milliseconds=50))
async def outlives_database(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Notes each run in a file (the database may be away when it ends), then takes
    `seconds`: long enough for a test to stop PostgreSQL before it is recorded."""
    line = f"{ctx.job_id} {ctx.attempt}\n"
    await asyncio.to_thread(_append, payload["runs_file"], line)
    await asyncio.sleep(float(payload["seconds"]))


def _append(path: str, line: str) -> None:
    with open(path, "a") as runs:
        runs.write(line)

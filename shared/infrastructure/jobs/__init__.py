"""Durable jobs in PostgreSQL: enqueued in the caller's transaction, run by the worker.

    from shared.infrastructure.jobs import enqueue, job_kind, periodic

    @job_kind("market.release_holds", max_attempts=5, timeout=timedelta(seconds=30))
    async def release_holds(ctx: JobContext, payload: dict[str, Any]) -> None: ...

    periodic("market.release_holds", every=timedelta(minutes=1))

    await enqueue(session, "market.release_holds", {"stall": 3}, key="stall-3")

`enqueue` is a plain INSERT (and a NOTIFY) on the caller's AsyncSession: a
rolled-back transaction leaves no job, a committed one wakes a worker. The
worker (`python -m shared.infrastructure.jobs run`) claims due jobs with
`FOR UPDATE SKIP LOCKED` under a renewed lease, retries failures with
exponential backoff and jitter, marks a job `dead` after its kind's last
attempt (visible, with its error, until `retry`), ticks periodic schedules
once per tick across all workers and stops gracefully on SIGTERM. The
operator's view: `python -m shared.infrastructure.jobs list|show|retry`.

Why hand-written on our tables, not a library: the maintained PostgreSQL
queues do not enqueue on our SQLAlchemy AsyncSession over asyncpg.
procrastinate's in-transaction deferral (`configure(connection=...)`,
2026) supports psycopg and SQLAlchemy-over-psycopg2 connectors only, and
takes its own schema and worker; pgqueuer drives its own asyncpg
connection and schema, so an enqueue would be a second transaction. Ours
is the EventProcessor's tested claim/lease/retry machinery generalised,
about 600 lines, on one table with named constraints and an Alembic
migration like every other, inspectable with SQL. ActivityPub delivery
keeps its own batched claiming of `ap_deliveries` (one row per inbox, with
its attempts and per-host limits) as a worker loop of this same process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.infrastructure.jobs.context import JobContext, JobPlatform
    from shared.infrastructure.jobs.queue import enqueue
    from shared.infrastructure.jobs.registry import (
        UnknownJobKind,
        job_kind,
        periodic,
        worker_loop,
    )

# Imported on first use, so `python -m shared.infrastructure.jobs` can catch SIGTERM
# before the heavy imports (seconds on a loaded host) instead of dying of it.
_EXPORTS = {
    "JobContext": "context",
    "JobPlatform": "context",
    "enqueue": "queue",
    "UnknownJobKind": "registry",
    "job_kind": "registry",
    "periodic": "registry",
    "worker_loop": "registry",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "JobContext",
    "JobPlatform",
    "UnknownJobKind",
    "enqueue",
    "job_kind",
    "periodic",
    "worker_loop",
]

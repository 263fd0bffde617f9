"""The queue's statements: enqueue (in the caller's transaction), claim under a lease,
record an outcome, give back, retry, prune. Each takes the session it runs in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.jobs import registry
from shared.models.jobs import UNFINISHED_STATES, Job

NOTIFY_CHANNEL = "rose_ash_jobs"
_KEY_WHERE = text("key IS NOT NULL AND state IN ('queued', 'running', 'failed')")
_ERROR_LIMIT = 4000


async def notify(session: AsyncSession, kind: str) -> None:
    """Wake the workers when this transaction commits (PostgreSQL delivers a NOTIFY only
    then); they also poll, so a lost notification costs latency, never the job."""
    await session.execute(
        text("SELECT pg_notify(:channel, :kind)"), {"channel": NOTIFY_CHANNEL, "kind": kind}
    )


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    key: str | None = None,
) -> int | None:
    """Add a job in the session's transaction: it exists (and wakes a worker) only if that
    transaction commits. With `key`, a job with the same key still queued, running or
    failed makes this a no-op (None); otherwise the new job's id."""
    spec = registry.kind(kind)
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    values: dict[str, Any] = {
        "kind": kind,
        "payload": payload or {},
        "key": key,
        "max_attempts": spec.max_attempts,
        "run_at": run_at if run_at is not None else func.now(),
    }
    statement = insert(Job).values(values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=[Job.key], index_where=_KEY_WHERE
        )
    job_id = await session.scalar(statement.returning(Job.id))
    if job_id is not None and (run_at is None or run_at <= datetime.now(UTC)):
        await notify(session, kind)
    return job_id


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # this run's number, from 1


async def claim(
    session: AsyncSession, kinds: list[str], limit: int, worker: str, lease: timedelta
) -> list[ClaimedJob]:
    """Due jobs of these kinds, and running ones whose lease ran out (their worker died),
    now `running` for `worker` under a lease, oldest due first."""
    if not kinds or limit <= 0:
        return []
    now = func.now()
    # A job whose worker died in its last attempt has none left: dead, not run again.
    await session.execute(
        update(Job)
        .where(
            Job.state == "running", Job.leased_until < now, Job.attempts >= Job.max_attempts
        )
        .values(
            state="dead",
            finished_at=now,
            leased_until=None,
            updated_at=now,
            last_error=func.concat(
                "the lease of ", Job.worker, " ran out (worker lost); last error: ",
                func.coalesce(Job.last_error, "none"),
            ),
        )
    )  # fmt: skip
    due = (
        select(Job.id)
        .where(
            Job.kind.in_(kinds),
            or_(
                and_(Job.state.in_(("queued", "failed")), Job.run_at <= now),
                and_(Job.state == "running", Job.leased_until < now),
            ),
        )
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.execute(
        update(Job)
        .where(Job.id.in_(due))
        .values(
            state="running",
            attempts=Job.attempts + 1,
            leased_until=now + lease,
            worker=worker,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts)
    )
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


async def extend_leases(
    session: AsyncSession, ids: list[int], worker: str, lease: timedelta
) -> set[int]:
    """Keep the leases of the jobs in hand; the ids still ours."""
    if not ids:
        return set()
    rows = await session.scalars(
        update(Job)
        .where(Job.id.in_(ids), Job.worker == worker, Job.state == "running")
        .values(leased_until=func.now() + lease)
        .returning(Job.id)
    )
    return set(rows)


async def succeed(session: AsyncSession, job_id: int, worker: str) -> bool:
    done = await session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.state == "running")
        .values(state="succeeded", finished_at=func.now(), leased_until=None, updated_at=func.now())
        .returning(Job.id)
    )
    return done is not None


def backoff(spec: registry.JobKind, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before the next attempt after failed attempt `attempt`: exponential, capped,
    with jitter (half to 1.5 times) so jobs that failed together do not retry together."""
    uniform = rng.uniform if rng is not None else random.uniform
    base = spec.backoff.total_seconds() * 2 ** min(max(attempt - 1, 0), 30)
    return min(base, spec.max_backoff.total_seconds()) * uniform(0.5, 1.5)


async def fail(
    session: AsyncSession, job: ClaimedJob, worker: str, error: str, spec: registry.JobKind
) -> str:
    """Record a failed attempt: `failed` (due again after a backoff) or, after the kind's
    last attempt, `dead`. The new state."""
    dead = job.attempt >= spec.max_attempts
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "state": "dead" if dead else "failed",
        "last_error": error[:_ERROR_LIMIT],
        "leased_until": None,
        "max_attempts": spec.max_attempts,
        "updated_at": now,
    }
    if dead:
        values["finished_at"] = now
    else:
        values["run_at"] = now + timedelta(seconds=backoff(spec, job.attempt))
    await session.execute(
        update(Job)
        .where(Job.id == job.id, Job.worker == worker, Job.state == "running")
        .values(values)
    )
    return str(values["state"])


async def release(session: AsyncSession, ids: list[int], worker: str) -> None:
    """Give jobs back unrun (a stopping worker's last act): due now, the attempt uncounted."""
    if ids:
        await session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.worker == worker, Job.state == "running")
            .values(
                state=text("CASE WHEN attempts > 1 THEN 'failed' ELSE 'queued' END"),
                attempts=Job.attempts - 1,
                leased_until=None,
                run_at=func.now(),
                updated_at=func.now(),
            )
        )


class NotRetryable(Exception):
    """The job is not failed or dead (or does not exist)."""


async def retry(session: AsyncSession, job_id: int) -> Job:
    """Queue a failed or dead job again, due now, with its attempts reset."""
    job = await session.get(Job, job_id, with_for_update=True)
    if job is None:
        raise NotRetryable(f"there is no job {job_id}")
    if job.state not in ("failed", "dead"):
        raise NotRetryable(f"job {job_id} is {job.state}: only failed or dead jobs are retried")
    if job.key is not None:
        twin = await session.scalar(
            select(Job.id).where(
                Job.key == job.key, Job.id != job.id, Job.state.in_(UNFINISHED_STATES)
            )
        )
        if twin is not None:
            raise NotRetryable(f"job {twin} with the same key {job.key!r} is still unfinished")
    job.state, job.attempts, job.finished_at = "queued", 0, None
    job.run_at = datetime.now(UTC)
    await session.flush()
    await notify(session, job.kind)
    return job


async def prune(session: AsyncSession, succeeded_for: timedelta, dead_for: timedelta) -> int:
    """Delete jobs that succeeded more than `succeeded_for` ago, dead ones after `dead_for`."""
    result = await session.execute(
        delete(Job).where(
            or_(
                and_(Job.state == "succeeded", Job.finished_at < func.now() - succeeded_for),
                and_(Job.state == "dead", Job.finished_at < func.now() - dead_for),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)

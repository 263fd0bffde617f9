"""Periodic schedules: one job per tick, however many workers run.

Each schedule has a row in `job_schedules` with its next tick. A worker whose
clock reaches it locks the row (`FOR UPDATE SKIP LOCKED`: another worker doing
the same skips it), enqueues the tick's job with the key `schedule:NAME:TICK`
and moves `next_run_at` past now, all in one transaction. Ticks missed while no
worker ran collapse into one run, not a burst.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.jobs.queue import enqueue
from shared.infrastructure.jobs.registry import Schedule
from shared.models.jobs import JobSchedule

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_tick(schedule: Schedule, after: datetime) -> datetime:
    """The first tick strictly after `after`."""
    if schedule.every is not None:
        period = schedule.every
        elapsed = (after - _EPOCH) // period
        return _EPOCH + (elapsed + 1) * period
    assert schedule.minute is not None
    candidate = after.astimezone(UTC).replace(minute=schedule.minute, second=0, microsecond=0)
    if schedule.hour is not None:
        candidate = candidate.replace(hour=schedule.hour)
        step = timedelta(days=1)
    else:
        step = timedelta(hours=1)
    while candidate <= after:
        candidate += step
    return candidate


async def register_schedules(session: AsyncSession, schedules: list[Schedule]) -> None:
    """Create the rows of schedules new to the database, first tick ahead."""
    if not schedules:
        return
    now = datetime.now(UTC)
    await session.execute(
        insert(JobSchedule)
        .values([{"name": s.name, "next_run_at": next_tick(s, now)} for s in schedules])
        .on_conflict_do_nothing(index_elements=[JobSchedule.name])
    )


async def tick(session: AsyncSession, schedules: list[Schedule]) -> datetime | None:
    """Enqueue the job of every schedule that is due (and not being ticked by another
    worker); the earliest next tick among them, to know when to look again."""
    if not schedules:
        return None
    by_name = {s.name: s for s in schedules}
    now = datetime.now(UTC)
    due = await session.scalars(
        select(JobSchedule)
        .where(JobSchedule.name.in_(by_name), JobSchedule.next_run_at <= now)
        .with_for_update(skip_locked=True)
    )
    for row in due:
        schedule = by_name[row.name]
        tick_at = row.next_run_at
        await enqueue(
            session,
            schedule.kind,
            {**schedule.payload, "tick": tick_at.isoformat()},
            key=f"schedule:{schedule.name}:{tick_at.isoformat()}",
        )
        row.last_run_at = tick_at
        row.next_run_at = next_tick(schedule, max(now, tick_at))
        row.updated_at = now
    await session.flush()
    return await session.scalar(
        select(JobSchedule.next_run_at)
        .where(JobSchedule.name.in_(by_name))
        .order_by(JobSchedule.next_run_at)
        .limit(1)
    )

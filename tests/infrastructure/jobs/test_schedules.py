"""When a schedule's next tick falls, and one tick per due schedule however many
workers tick at once (real database, two concurrent transactions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.jobs import periodic
from shared.infrastructure.jobs.registry import Schedule
from shared.infrastructure.jobs.schedules import next_tick, register_schedules, tick
from shared.models.jobs import Job, JobSchedule
from tests.infrastructure.jobs import kinds  # noqa: F401  (registers the test kinds)

AT = datetime(2026, 12, 1, 22, 47, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (Schedule("k", every=timedelta(minutes=5)), datetime(2026, 12, 1, 22, 50, tzinfo=UTC)),
        (Schedule("k", every=timedelta(hours=1)), datetime(2026, 12, 1, 23, 0, tzinfo=UTC)),
        (Schedule("k", minute=50), datetime(2026, 12, 1, 22, 50, tzinfo=UTC)),
        (Schedule("k", minute=15), datetime(2026, 12, 1, 23, 15, tzinfo=UTC)),
        (Schedule("k", minute=0, hour=3), datetime(2026, 12, 2, 3, 0, tzinfo=UTC)),
        (Schedule("k", minute=50, hour=22), datetime(2026, 12, 1, 22, 50, tzinfo=UTC)),
    ],
)
def test_the_next_tick_is_aligned_and_strictly_after(
    schedule: Schedule, expected: datetime
) -> None:
    assert next_tick(schedule, AT) == expected
    assert next_tick(schedule, expected) > expected


def test_a_schedule_needs_a_period_or_a_minute() -> None:
    with pytest.raises(ValueError, match="either"):
        periodic("test.flaky")
    with pytest.raises(ValueError, match="minute"):
        periodic("test.flaky", minute=60)
    with pytest.raises(ValueError, match="hour"):
        periodic("test.flaky", every=timedelta(hours=1), hour=3)


async def test_two_workers_ticking_at_once_enqueue_one_job_per_tick(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    schedule = Schedule("test.flaky", every=timedelta(hours=1), payload={"n": 5})
    async with committed() as session, session.begin():
        await register_schedules(session, [schedule])
        await session.execute(
            update(JobSchedule).values(next_run_at=datetime.now(UTC) - timedelta(hours=3))
        )
    async with committed() as one, one.begin(), committed() as two, two.begin():
        await tick(one, [schedule])
        await tick(two, [schedule])  # the row is locked by `one`: skipped
    async with committed() as session, session.begin():
        await tick(session, [schedule])  # already advanced past now: nothing due
        jobs = list(await session.scalars(select(Job)))
        row = await session.get(JobSchedule, "test.flaky")
    [job] = jobs  # three missed ticks collapsed into one run
    assert job.payload["n"] == 5 and job.key == f"schedule:test.flaky:{job.payload['tick']}"
    assert row is not None and row.next_run_at == next_tick(schedule, datetime.now(UTC))

"""The queue's statements and the runner, in process, on a real database that commits."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs import UnknownJobKind, enqueue, queue, registry
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.runner import Runner
from shared.infrastructure.jobs.settings import JobSettings
from shared.models.jobs import Job
from tests.infrastructure.jobs import kinds
from tests.infrastructure.jobs.conftest import runs
from tests.support.activitypub.standin import eventually

LEASE = timedelta(seconds=30)


@pytest.fixture
async def run_worker(
    jobs_settings: Settings, committed: async_sessionmaker[AsyncSession]
) -> AsyncIterator[asyncio.Event]:
    """A runner in this process (the test kinds, quick polls) until the test ends."""
    federation = FederationClient(jobs_settings.activitypub)
    stopping = asyncio.Event()
    ctx = JobContext(jobs_settings, committed, federation, "in-process")
    settings = JobSettings(poll_seconds=0.2, lease_seconds=5, stop_grace=2)
    test_kinds = {k: v for k, v in registry.kinds().items() if k.startswith("test.")}
    runner = Runner(ctx, test_kinds, [], settings, stopping)
    task = asyncio.create_task(runner.run())
    yield stopping
    stopping.set()
    await task
    await federation.aclose()


async def added(session: AsyncSession, kind: str, payload: dict[str, object]) -> int:
    job_id = await enqueue(session, kind, payload)
    assert job_id is not None
    return job_id


class _Abandoned(Exception):
    """Raised to roll a transaction back, as any error of the caller would."""


async def job(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with sessions() as session:
        found = await session.get(Job, job_id)
        assert found is not None
        return found


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(
    committed: async_sessionmaker[AsyncSession], run_worker: asyncio.Event
) -> None:
    doomed = None
    with pytest.raises(_Abandoned):
        async with committed() as session, session.begin():
            doomed = await enqueue(session, "test.flaky", {"n": 1})
            raise _Abandoned  # the caller's transaction rolls back
    assert doomed is not None
    async with committed() as session, session.begin():
        marker = await enqueue(session, "test.flaky", {"n": 2})
    await eventually(lambda: runs(committed, "succeeded"), what="the committed job's run")
    await asyncio.sleep(0.5)  # another poll or two: the rolled-back one would have run by now
    assert [row["n"] for row in await runs(committed)] == [2]
    async with committed() as session:
        ids = list(await session.scalars(select(Job.id)))
    assert ids == [marker] and doomed not in ids


async def test_the_notify_arrives_on_commit_and_not_on_rollback(
    jobs_database: str, committed: async_sessionmaker[AsyncSession]
) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(jobs_database)
    await listener.add_listener(queue.NOTIFY_CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        async with committed() as session, session.begin():
            await enqueue(session, "test.flaky", {"n": 1})
            await asyncio.sleep(0.2)
            assert heard.empty(), "notified before the commit"
        assert await asyncio.wait_for(heard.get(), timeout=5) == "test.flaky"
        with pytest.raises(_Abandoned):
            async with committed() as session, session.begin():
                await enqueue(session, "test.slow", {"seconds": 0})
                raise _Abandoned
        await asyncio.sleep(0.3)
        assert heard.empty()
    finally:
        await listener.close()


async def test_a_key_collapses_duplicates_until_the_job_finishes(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as session, session.begin():
        first = await enqueue(session, "test.flaky", {"n": 1}, key="post-7")
        again = await enqueue(session, "test.flaky", {"n": 2}, key="post-7")
        other = await enqueue(session, "test.flaky", {"n": 3}, key="post-8")
    assert first is not None and again is None and other not in (None, first)
    async with committed() as session, session.begin():
        [claimed] = await queue.claim(session, ["test.flaky"], 1, "w", LEASE)
        assert claimed.id == first
        assert await enqueue(session, "test.flaky", {}, key="post-7") is None  # still running
        assert await queue.succeed(session, claimed.id, "w")
    async with committed() as session, session.begin():
        assert await enqueue(session, "test.flaky", {}, key="post-7") is not None


async def test_an_unknown_kind_or_a_naive_time_is_refused(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as session, session.begin():
        with pytest.raises(UnknownJobKind):
            await enqueue(session, "test.no_such_kind", {})
        with pytest.raises(ValueError, match="timezone"):
            await enqueue(session, "test.flaky", {}, run_at=datetime(2030, 1, 1))


async def test_a_job_is_claimed_when_due_and_by_one_worker_only(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    async with committed() as session, session.begin():
        await enqueue(session, "test.flaky", {"n": 1}, run_at=later)
        due = await enqueue(session, "test.flaky", {"n": 2})
    async with committed() as one, one.begin(), committed() as two, two.begin():
        first = await queue.claim(one, ["test.flaky"], 10, "one", LEASE)
        second = await queue.claim(two, ["test.flaky"], 10, "two", LEASE)  # skips the locked
    assert [c.id for c in first] == [due] and second == []
    async with committed() as session, session.begin():
        assert await queue.claim(session, ["test.flaky"], 10, "two", LEASE) == []  # leased
        assert await queue.claim(session, ["test.slow"], 10, "two", LEASE) == []  # other kinds


async def test_an_expired_lease_is_claimed_again_and_a_last_attempt_lost_is_dead(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as session, session.begin():
        job_id = await added(session, "test.flaky", {"n": 1})
        [claimed] = await queue.claim(session, ["test.flaky"], 1, "lost", LEASE)
    expire = update(Job).where(Job.id == job_id).values(leased_until=func.now() - LEASE)
    async with committed() as session, session.begin():
        await session.execute(expire)
        [again] = await queue.claim(session, ["test.flaky"], 1, "second", LEASE)
    assert (again.id, again.attempt) == (claimed.id, 2)
    async with committed() as session, session.begin():
        assert not await queue.succeed(session, job_id, "lost")  # no longer the holder
        await session.execute(expire.values(attempts=3))
        assert await queue.claim(session, ["test.flaky"], 1, "third", LEASE) == []
    dead = await job(committed, job_id)
    assert dead.state == "dead" and "lease of second ran out" in (dead.last_error or "")


async def test_failures_back_off_then_the_job_is_dead_and_a_retry_queues_it_again(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    spec = registry.kind("test.flaky")
    async with committed() as session, session.begin():
        job_id = await added(session, "test.flaky", {"n": 1})
    for attempt in range(1, spec.max_attempts + 1):
        async with committed() as session, session.begin():
            await session.execute(update(Job).values(run_at=func.now()))
            [claimed] = await queue.claim(session, ["test.flaky"], 1, "w", LEASE)
            assert claimed.attempt == attempt
            state = await queue.fail(session, claimed, "w", f"boom {attempt}", spec)
        assert state == ("dead" if attempt == spec.max_attempts else "failed")
    dead = await job(committed, job_id)
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 3, "boom 3")
    assert dead.finished_at is not None
    async with committed() as session, session.begin():
        await queue.retry(session, job_id)
        with pytest.raises(queue.NotRetryable, match="queued"):
            await queue.retry(session, job_id)
        with pytest.raises(queue.NotRetryable, match="no job"):
            await queue.retry(session, 999_999)
    queued = await job(committed, job_id)
    assert (queued.state, queued.attempts, queued.finished_at) == ("queued", 0, None)


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    spec = registry.JobKind(
        "x", kinds.flaky, backoff=timedelta(seconds=10), max_backoff=timedelta(seconds=60)
    )
    low, high = _Fixed(0.0), _Fixed(1.0)
    assert [queue.backoff(spec, n, low) for n in (1, 2, 3, 4, 9)] == [5, 10, 20, 30, 30]
    assert [queue.backoff(spec, n, high) for n in (1, 2, 3, 4, 9)] == [15, 30, 60, 90, 90]
    spread = {round(queue.backoff(spec, 2), 3) for _ in range(20)}
    assert len(spread) > 1 and all(10 <= s <= 30 for s in spread)


class _Fixed(random.Random):
    def __init__(self, fraction: float) -> None:
        super().__init__()
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


async def test_the_runner_retries_a_failing_job_and_times_out_a_slow_one(
    committed: async_sessionmaker[AsyncSession], run_worker: asyncio.Event
) -> None:
    async with committed() as session, session.begin():
        twice = await enqueue(session, "test.flaky", {"n": 1, "fail_times": 2})
        hung = await enqueue(session, "test.timeout", {})
    assert twice is not None and hung is not None
    await eventually(
        lambda: _state_is(committed, twice, "succeeded"), what="the third attempt succeeding"
    )
    assert [r["outcome"] for r in await runs(committed)] == ["failed", "failed", "succeeded"]
    await eventually(lambda: _state_is(committed, hung, "dead"), what="the timeout")
    assert (await job(committed, hung)).last_error == "timed out after 0.2s"


async def _state_is(sessions: async_sessionmaker[AsyncSession], job_id: int, state: str) -> bool:
    return (await job(sessions, job_id)).state == state


async def test_prune_keeps_recent_and_unfinished_jobs(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as session, session.begin():
        ids = [await enqueue(session, "test.flaky", {"n": n}) for n in range(4)]
        await session.execute(
            update(Job)
            .where(Job.id.in_(ids[:3]))
            .values(state="succeeded", finished_at=func.now() - timedelta(days=8))
        )
        await session.execute(update(Job).where(Job.id == ids[2]).values(finished_at=func.now()))
        pruned = await queue.prune(session, timedelta(days=7), timedelta(days=30))
    assert pruned == 2
    async with committed() as session:
        assert sorted(await session.scalars(select(Job.id))) == ids[2:]

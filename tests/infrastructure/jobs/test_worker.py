"""The worker as real processes: two workers share 200 jobs, SIGKILL loses nothing,
a schedule ticks once per period across workers, SIGTERM is graceful."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.embedded import free_port
from shared.infrastructure.jobs import enqueue
from shared.infrastructure.jobs.worker import LISTEN_APPLICATION, Listener
from shared.models.jobs import Job
from tests.infrastructure.jobs.conftest import runs
from tests.support.activitypub.live import Workers
from tests.support.activitypub.standin import eventually

pytestmark = pytest.mark.slow


async def states(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """The test kinds' jobs by state: the worker's own schedules (which enqueue on
    minute boundaries) must not change the count."""
    async with sessions() as session:
        rows = await session.execute(
            select(Job.state, func.count()).where(Job.kind.like("test.%")).group_by(Job.state)
        )
        return {state: count for state, count in rows}


async def enqueued(
    sessions: async_sessionmaker[AsyncSession], kind: str, payload: dict[str, Any]
) -> int:
    async with sessions() as session, session.begin():
        job_id = await enqueue(session, kind, payload)
    assert job_id is not None
    return job_id


async def test_two_workers_run_200_jobs_each_to_success_once_and_the_hopeless_one_dies(
    committed: async_sessionmaker[AsyncSession], workers: Workers
) -> None:
    workers.start(2)
    plan = {n: {"n": n, "sleep": 0.01} for n in range(200)}
    for n in range(0, 200, 10):
        plan[n]["fail_times"] = 2  # 20 jobs fail twice, then succeed on their last attempt
    plan[7]["always_fail"] = True
    async with committed() as session, session.begin():
        for payload in plan.values():
            await enqueue(session, "test.flaky", payload)
    await eventually(
        lambda: _settled(committed, 199, 1), within=90, what=lambda: f"199+1: {workers.logs()}"
    )
    succeeded = await runs(committed, "succeeded")
    assert Counter(r["n"] for r in succeeded) == {n: 1 for n in plan if n != 7}
    failed = Counter(r["n"] for r in await runs(committed, "failed"))
    assert failed == {**{n: 2 for n in range(0, 200, 10)}, 7: 3}
    assert len({r["worker"] for r in succeeded}) == 2, "both workers took a share"
    async with committed() as session:
        [dead] = await session.scalars(
            select(Job).where(Job.state == "dead", Job.kind.like("test.%"))
        )
    assert dead.payload["n"] == 7 and dead.attempts == 3
    assert "planned failure of attempt 3" in (dead.last_error or "")


async def _settled(sessions: async_sessionmaker[AsyncSession], ok: int, dead: int) -> bool:
    found = await states(sessions)
    return found.get("succeeded") == ok and found.get("dead") == dead


async def test_a_job_whose_worker_is_killed_mid_run_is_finished_by_another(
    committed: async_sessionmaker[AsyncSession], jobs_env: dict[str, str], tmp_path: Path
) -> None:
    pool = Workers({**jobs_env, "JOBS_LEASE_SECONDS": "1"}, tmp_path)
    try:
        [first] = pool.start(1)
        job_id = await enqueued(committed, "test.slow", {"seconds": 2})
        [started] = await eventually(lambda: runs(committed, "started"), what="the job started")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        [second] = pool.start(1)
        await eventually(lambda: runs(committed, "succeeded"), within=30, what=lambda: pool.logs())
    finally:
        pool.stop_all()
    history = [(r["outcome"], r["attempt"], r["worker"]) for r in await runs(committed)]
    taker = f"{second.pid}"
    assert history[0] == ("started", 1, started["worker"])
    assert [(o, a) for o, a, _ in history[1:]] == [("started", 2), ("succeeded", 2)]
    assert all(str(w).endswith(f":{taker}") for _, _, w in history[1:]), history
    async with committed() as session:
        done = await session.get(Job, job_id)
    assert done is not None and (done.state, done.attempts) == ("succeeded", 2)


async def test_a_periodic_job_ticks_once_per_period_with_two_workers(
    committed: async_sessionmaker[AsyncSession], jobs_env: dict[str, str], tmp_path: Path
) -> None:
    kinds = f"{jobs_env['JOBS_KIND_MODULES']},tests.infrastructure.jobs.ticking"
    pool = Workers({**jobs_env, "JOBS_KIND_MODULES": kinds}, tmp_path)
    try:
        pool.start(2)
        await eventually(lambda: runs(committed, "ticked"), what=lambda: pool.logs())
        await asyncio.sleep(4.2)
    finally:
        pool.stop_all()
    ticks = [datetime.fromisoformat(str(r["tick"])) for r in await runs(committed, "ticked")]
    assert len(ticks) == len(set(ticks)), f"a tick ran twice: {ticks}"
    assert 4 <= len(ticks) <= 6, ticks
    assert all(b - a == timedelta(seconds=1) for a, b in pairwise(ticks))


async def test_sigterm_lets_the_job_in_hand_finish_and_exits_0(
    committed: async_sessionmaker[AsyncSession], workers: Workers
) -> None:
    [worker] = workers.start(1)
    job_id = await enqueued(committed, "test.slow", {"seconds": 1})
    await eventually(lambda: runs(committed, "started"), what="the job started")
    assert await workers.stop(worker) == 0
    async with committed() as session:
        done = await session.get(Job, job_id)
    assert done is not None and done.state == "succeeded"
    assert "stopping: 1 job(s) in hand" in workers.logs()


async def test_sigterm_past_the_grace_period_gives_the_job_back_for_the_next_worker(
    committed: async_sessionmaker[AsyncSession], jobs_env: dict[str, str], tmp_path: Path
) -> None:
    pool = Workers({**jobs_env, "JOBS_STOP_GRACE": "0.3"}, tmp_path)
    try:
        [first] = pool.start(1)
        job_id = await enqueued(committed, "test.slow", {"seconds": 3})
        await eventually(lambda: runs(committed, "started"), what="the job started")
        assert await pool.stop(first, wait_seconds=10) == 0
        async with committed() as session:
            given_back = await session.get(Job, job_id)
        assert given_back is not None
        assert (given_back.state, given_back.attempts) == ("queued", 0)
        pool.start(1)
        await eventually(lambda: runs(committed, "succeeded"), within=30, what=lambda: pool.logs())
    finally:
        pool.stop_all()
    async with committed() as session:
        done = await session.get(Job, job_id)
    assert done is not None and (done.state, done.attempts) == ("succeeded", 1)


async def test_a_lost_listen_connection_degrades_to_polling_and_comes_back(
    committed: async_sessionmaker[AsyncSession], jobs_env: dict[str, str], tmp_path: Path
) -> None:
    pool = Workers({**jobs_env, "JOBS_POLL_SECONDS": "1"}, tmp_path)
    try:
        pool.start(1)
        await eventually(lambda: _listening(committed), what=lambda: pool.logs())
        async with committed() as session, session.begin():
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": LISTEN_APPLICATION},
            )
        await enqueued(committed, "test.flaky", {"n": 1})
        await eventually(lambda: runs(committed, "succeeded"), what=lambda: pool.logs())
        await eventually(lambda: "LISTEN restored" in pool.logs(), what=lambda: pool.logs())
        assert "cannot LISTEN" in pool.logs()
        assert pool.running[0].poll() is None, "the worker kept running"
    finally:
        pool.stop_all()


async def test_a_listen_that_could_not_start_is_restored_and_catches_up(
    jobs_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    # The database is not up yet when the worker starts (or its first connection is cut
    # while it still adds its listeners): once it is, that is a restore like any other,
    # and what was notified meanwhile is looked at.
    caught_up = asyncio.Event()
    listener = Listener(
        f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
        ["rose_ash_test_channel"],
        lambda _channel, _payload: None,
        caught_up.set,
        every=0.1,
    )
    stopping = asyncio.Event()
    with caplog.at_level(logging.INFO, "rose_ash.worker"):
        listening = asyncio.create_task(listener.run(stopping))
        try:
            await eventually(lambda: "cannot LISTEN" in caplog.text, what="a failed LISTEN")
            listener.url = jobs_env["DATABASE_URL"]  # the database is up now
            await asyncio.wait_for(caught_up.wait(), timeout=30)
            assert listener.connected.is_set()
            assert "LISTEN restored" in caplog.text
        finally:
            stopping.set()
            await listening


async def _listening(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": LISTEN_APPLICATION},
        )
        return count == 1

"""The operator's commands as an operator runs them: list, show and retry a dead job."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.jobs import enqueue
from shared.models.jobs import Job
from tests.infrastructure.jobs.conftest import runs
from tests.support.activitypub.live import Workers
from tests.support.activitypub.standin import eventually
from tests.support.live import REPO_ROOT

pytestmark = pytest.mark.slow


def jobs_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.infrastructure.jobs", *args],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def _dead(sessions: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).where(Job.state == "dead")))


async def test_the_cli_lists_shows_and_retries_a_dead_job(
    committed: async_sessionmaker[AsyncSession], workers: Workers, jobs_env: dict[str, str]
) -> None:
    async with committed() as session, session.begin():
        await enqueue(session, "test.flaky", {"n": 1, "always_fail": True})
        await enqueue(session, "test.flaky", {"n": 2}, key="fine")
    workers.start(1)
    [dead] = await eventually(lambda: _dead(committed), what=lambda: workers.logs())

    listed = jobs_command(jobs_env, "list", "--state", "dead")
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.split()[:1] == [str(dead.id)]]
    assert row.split()[1:4] == ["test.flaky", "dead", "3/3"]
    assert "Planned: planned failure of attempt 3" in row
    assert "dead 1" in listed.stdout.splitlines()[0]

    shown = jobs_command(jobs_env, "show", str(dead.id))
    assert shown.returncode == 0, shown.stderr
    assert "state:        dead" in shown.stdout and '"always_fail": true' in shown.stdout
    assert "Traceback" in shown.stdout  # the last error in full

    retried = jobs_command(jobs_env, "retry", str(dead.id))
    assert (retried.returncode, retried.stdout.strip()) == (
        0,
        f"job {dead.id} (test.flaky) is queued again",
    )
    # The worker (woken by the retry's NOTIFY) runs it three more times, to dead again.
    await eventually(
        lambda: _failed_runs(committed, 6), what=lambda: f"3 more attempts: {workers.logs()}"
    )
    await eventually(lambda: _dead(committed), what="dead again")

    succeeded = [job for job in await _all(committed) if job.state == "succeeded"]
    again = jobs_command(jobs_env, "retry", str(succeeded[0].id))
    assert again.returncode == 1 and "only failed or dead jobs" in again.stderr
    missing = jobs_command(jobs_env, "show", "999999")
    assert missing.returncode == 1 and "there is no job 999999" in missing.stderr


async def _failed_runs(sessions: async_sessionmaker[AsyncSession], count: int) -> bool:
    return len(await runs(sessions, "failed")) == count


async def _all(sessions: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job)))

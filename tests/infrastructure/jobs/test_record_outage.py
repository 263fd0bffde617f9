"""A job that finished while PostgreSQL was away is recorded once it is back, not run
again when its lease ends (a mail job would otherwise send its mail twice)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.dev.embedded import start_postgres
from shared.dev.schema import migrate
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.jobs import enqueue, registry
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.runner import Runner
from shared.infrastructure.jobs.settings import JobSettings
from shared.models.jobs import Job
from tests.infrastructure.jobs import kinds  # noqa: F401  (registers the test kinds)
from tests.support.activitypub.live import settings_for
from tests.support.activitypub.standin import eventually
from tests.support.databases import DatabaseServer

pytestmark = pytest.mark.slow

LEASE_SECONDS = 8.0


async def test_a_job_that_ends_while_postgresql_restarts_is_recorded_and_runs_once(
    jobs_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "pg" / "data"
    server = start_postgres(data, fast=True)
    port = server.port
    runs_file = tmp_path / "runs.txt"
    runs_file.touch()
    try:
        url = await asyncio.to_thread(DatabaseServer(server.url).create_fresh, "outage")
        await asyncio.to_thread(migrate, url)
        settings = settings_for({**jobs_env, "DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "1"})
        engine = make_engine(settings.database)
        sessions = make_sessionmaker(engine)
        async with sessions() as session, session.begin():
            job_id = await enqueue(
                session, "test.outlives_database", {"runs_file": str(runs_file), "seconds": 1.5}
            )
        federation = FederationClient(settings.activitypub)
        stopping = asyncio.Event()
        test_kinds = {k: v for k, v in registry.kinds().items() if k.startswith("test.")}
        runner = Runner(
            JobContext(settings, sessions, federation, "in-process"),
            test_kinds,
            [],
            JobSettings(poll_seconds=0.2, lease_seconds=LEASE_SECONDS, stop_grace=2),
            stopping,
        )
        task = asyncio.create_task(runner.run())
        try:
            await eventually(lambda: runs_file.read_text().strip(), what="the job's first run")
            # Down before the job ends, for longer than a few quick retries, not the lease.
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(4)
            server = await asyncio.to_thread(start_postgres, data, port=port, fast=True)

            async def state() -> str | None:
                try:
                    async with sessions() as session:
                        job = await session.get(Job, job_id)
                except OSError:  # the database is still starting
                    return None
                return job.state if job else None

            async def succeeded() -> bool:
                return await state() == "succeeded"

            await eventually(succeeded, within=LEASE_SECONDS * 2, what="the job recorded")
            # Past the end of the lease the first run held: a job given up for lost runs again.
            await asyncio.sleep(LEASE_SECONDS + 2)
            assert runs_file.read_text().splitlines() == [f"{job_id} 1"]
            assert await state() == "succeeded"
        finally:
            stopping.set()
            await task
            await federation.aclose()
            await engine.dispose()
    finally:
        server.stop()

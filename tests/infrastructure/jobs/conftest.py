"""A database of the jobs tests' own, whose writes really commit (the runner and worker
processes under test must see them), emptied before each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.schema import migrate
from shared.infrastructure.activitypub.keys import KeyPair, generate_keypair
from shared.infrastructure.config import APP_NAMES, Settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from tests.conftest import TEST_SECRET_KEY
from tests.infrastructure.jobs.kinds import RUNS_TABLE
from tests.support.activitypub.live import Workers, app_urls, settings_for, worker_env
from tests.support.databases import DatabaseServer

DATABASE = "rose_ash_jobs"


@pytest.fixture(scope="session")
def jobs_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)

    async def create_runs_table() -> None:
        conn = await asyncpg.connect(database_server.url_for(DATABASE))
        try:
            await conn.execute(RUNS_TABLE)
        finally:
            await conn.close()

    asyncio.run(create_runs_table())
    yield url
    database_server.drop(DATABASE)


@pytest.fixture(scope="session")
def jobs_platform_key() -> KeyPair:
    return generate_keypair()


@pytest.fixture
def jobs_env(
    jobs_database: str,
    redis_url: str,
    database_server: DatabaseServer,
    jobs_platform_key: KeyPair,
) -> dict[str, str]:
    """A worker's environment: this database, the tests' kinds, quick polls and retries."""
    database_server.truncate_all(DATABASE)
    urls = {name: f"http://127.0.0.1:{9300 + i}" for i, name in enumerate(APP_NAMES)}
    return worker_env(
        {
            "DATABASE_URL": jobs_database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "ROSE_ASH_ENV": "test",
            "AP_PRIVATE_KEY": jobs_platform_key.private_pem,
            "JOBS_KIND_MODULES": "tests.infrastructure.jobs.kinds",
            "JOBS_POLL_SECONDS": "0.5",
            "JOBS_CONCURRENCY": "8",
            **app_urls(urls),
        }
    )


@pytest.fixture
def jobs_settings(jobs_env: dict[str, str]) -> Settings:
    return settings_for(jobs_env)


@pytest.fixture
async def committed(jobs_settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the jobs database whose commits are real."""
    engine = make_engine(jobs_settings.database)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def workers(jobs_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(jobs_env, tmp_path)
    yield pool
    pool.stop_all()


async def runs(
    sessions: async_sessionmaker[AsyncSession], outcome: str | None = None
) -> list[dict[str, object]]:
    """What the test kinds recorded, oldest first."""
    query = "SELECT * FROM job_test_runs"
    if outcome is not None:
        query += " WHERE outcome = :outcome"
    async with sessions() as session:
        rows = await session.execute(text(query + " ORDER BY id"), {"outcome": outcome})
        return [dict(row._mapping) for row in rows]

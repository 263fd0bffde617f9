"""The one migration history: reversible, in step with the models and with schema.sql."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.dev.schema import SCHEMA_PATH, dump_schema, migrate, schema_diff
from shared.infrastructure.config import DatabaseSettings
from shared.models import Base
from tests.support.databases import DatabaseServer

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh("rose_ash_migrations")
    yield url
    database_server.drop("rose_ash_migrations")


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def test_migrations_go_up_down_and_up_again(fresh_database: str) -> None:
    migrate(fresh_database)
    after_up = asyncio.run(_tables(fresh_database))
    assert {"users", "posts", "products", "orders", "events", "ap_activities"} <= after_up

    migrate(fresh_database, "base", down=True)
    assert asyncio.run(_tables(fresh_database)) == {"alembic_version"}

    migrate(fresh_database)
    assert asyncio.run(_tables(fresh_database)) == after_up


def test_the_models_match_the_migrations(fresh_database: str) -> None:
    migrate(fresh_database)

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)

    async def differences() -> list[object]:
        engine = create_async_engine(DatabaseSettings(url=fresh_database).async_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    # Any difference means a model changed without a migration (or the reverse).
    assert asyncio.run(differences()) == []


def test_schema_sql_matches_a_fresh_upgrade(fresh_database: str) -> None:
    migrate(fresh_database)
    fresh = dump_schema(fresh_database)
    committed = SCHEMA_PATH.read_text()
    assert committed == fresh, (
        "schema.sql has drifted from the migrations; run `make schema`:\n"
        + schema_diff(committed, fresh)
    )

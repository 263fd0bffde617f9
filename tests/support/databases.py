"""Creating and dropping whole databases on the test server (for migration tests)."""

from __future__ import annotations

import asyncio

import asyncpg

from shared.infrastructure.config import DatabaseSettings


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DatabaseServer:
    """A PostgreSQL server the tests may create databases on.

    `url` is any database on it the user can connect to; new databases get
    the same credentials.
    """

    def __init__(self, url: str) -> None:
        self.url = DatabaseSettings(url=url).plain_url

    def url_for(self, name: str) -> str:
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    async def _execute(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def create_fresh(self, name: str) -> str:
        """Drop `name` if it exists, create it empty, return its URL."""
        asyncio.run(
            self._execute(
                f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)",
                f"CREATE DATABASE {_quote(name)}",
            )
        )
        return self.url_for(name)

    def truncate_all(self, name: str) -> None:
        """Empty every table of database `name` (for tests whose writes really commit)."""

        async def truncate() -> None:
            conn = await asyncpg.connect(self.url_for(name))
            try:
                tables = await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
                names = ", ".join(_quote(row["tablename"]) for row in tables)
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            finally:
                await conn.close()

        asyncio.run(truncate())

    def drop(self, name: str) -> None:
        asyncio.run(self._execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"))

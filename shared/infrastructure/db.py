"""The database engine, one per app process, and one AsyncSession per request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.infrastructure.config import DatabaseSettings


def make_engine(settings: DatabaseSettings) -> AsyncEngine:
    return create_async_engine(
        settings.async_url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        connect_args={"timeout": settings.connect_timeout},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: a committed object stays readable without an
    # implicit refresh, which under asyncio would be an error.
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """Holds the engine and the session factory of one app process.

    Tests rebind `sessions` to a connection inside a rolled-back transaction.
    """

    def __init__(self, settings: DatabaseSettings) -> None:
        self.settings = settings
        self.engine: AsyncEngine | None = None
        self.sessions: async_sessionmaker[AsyncSession] | None = None

    def open(self) -> None:
        self.engine = make_engine(self.settings)
        self.sessions = make_sessionmaker(self.engine)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
        self.engine = None
        self.sessions = None

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self.sessions is None:
            raise RuntimeError("the database is not open: serve the app through its lifespan")
        return self.sessions

    def session(self) -> AsyncSession:
        return self.sessionmaker()

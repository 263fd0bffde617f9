"""The test harness: real PostgreSQL and Redis, one rolled-back transaction per test.

By default an embedded PostgreSQL 16 and Redis start once per run in a temp
dir. Set TEST_DATABASE_URL (a server where the URL's user may CREATE
DATABASE) and TEST_REDIS_URL (a Redis whose database is FLUSHED by the
tests) to use real servers instead; DATABASE_URL / REDIS_URL are accepted too.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing.app import TestApp
from quart.typing import TestClientProtocol
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shared.dev.schema import migrate
from shared.infrastructure.config import Settings, load_settings
from shared.infrastructure.db import make_engine
from shared.infrastructure.runtime import runtime
from shared.services import registry
from tests.support.databases import DatabaseServer

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-hmac-0123456789"
_RUN_TEMP = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    # Each run gets its own temp root: pytest's shared /tmp/pytest-of-<user> has its
    # permissions reset by every run that starts, and a second run beside a first took
    # the traverse bit from under the first one's embedded PostgreSQL (initdb: Permission
    # denied). 0755 because PostgreSQL runs as its own user and must reach its data dir.
    shared = [
        name
        for name in ("TEST_DATABASE_URL", "DATABASE_URL", "TEST_REDIS_URL", "REDIS_URL")
        if os.environ.get(name)
    ]
    if shared and config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        # Each worker starts its own embedded servers; on one given server they would
        # create, drop and flush each other's databases.
        raise pytest.UsageError(
            f"{', '.join(shared)} set: run the tests in one process (make test TEST_WORKERS=0, "
            "or pytest without -n), or unset them to use embedded servers"
        )
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    root = Path(tempfile.mkdtemp(prefix="rose-ash-tests-"))
    root.chmod(0o755)
    config.option.basetemp = str(root)
    config.stash[_RUN_TEMP] = root


# Packages whose tests share one started platform (a package-scoped fixture). Under
# `make test`'s two xdist workers each is sent whole to one worker, as each test file is,
# so no platform starts twice.
_SHARED_PLATFORM_PACKAGES = ("tests/crawler/", "tests/sso/", "tests/infrastructure/activitypub/")


@pytest.hookimpl(optionalhook=True)  # known only while pytest-xdist is loaded
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class SharedPlatformScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return next((p for p in _SHARED_PLATFORM_PACKAGES if path.startswith(p)), path)

    return SharedPlatformScheduling(config, log)  # type: ignore[arg-type]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    root = session.config.stash.get(_RUN_TEMP, None)
    if root is None:
        return
    if exitstatus == 0:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"\n[tests] temp files of this run kept in {root}")


@pytest.fixture(scope="session")
def database_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseServer]:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield DatabaseServer(url)
        return
    from shared.dev.embedded import start_postgres

    server = start_postgres(tmp_path_factory.mktemp("postgres") / "data", fast=True)
    try:
        yield DatabaseServer(server.url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from shared.dev.embedded import start_redis

    server = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def database_url(database_server: DatabaseServer) -> str:
    """The run's migrated database. Tests write only inside rolled-back transactions."""
    url = database_server.create_fresh("rose_ash_test")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def platform_env(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment the apps read. Importing an app module needs none of it (the apps
    are built by `create_app(settings)`); it is set for the whole run because the helpers
    that spawn real processes (tests/support/live.py, tests/support/activitypub/live.py) pass
    os.environ on to them."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "ROSE_ASH_ENV": "test",
        # Stored images go to the run's own folder, never the checkout's .state/media.
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        # Apps under test share the test's one connection: a page that gave up on its own
        # fragment at the production budget would leave that render querying beside the
        # next request (asyncpg: one operation at a time). A loaded machine needs the time.
        "FRAGMENT_TIMEOUT": "5",
        "FRAGMENT_PAGE_BUDGET": "8",
        # Tests arrange data straight in the database, without the domain events that
        # invalidate the anonymous page cache: off, but where a test turns it on
        # (tests/infrastructure/test_page_cache.py).
        "PAGE_CACHE_TTL": "0",
    }
    os.environ.update(env)
    return env


@pytest.fixture(autouse=True)
def restore_services_wiring() -> Iterator[None]:
    """Each test starts from the process's wiring: the bootstrap wires the registry once,
    so a test that rewires a domain (wire_services(other_settings)) must not leak it."""
    saved = dict(vars(registry.services))
    yield
    vars(registry.services).clear()
    vars(registry.services).update(saved)


@pytest.fixture(scope="session")
def settings(platform_env: dict[str, str]) -> Settings:
    return load_settings(platform_env)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings.database)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Each session's commit releases a savepoint; the test's transaction still rolls back.
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def db(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging data; what it flushes is visible to the apps under test."""
    async with sessions() as session:
        yield session


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


AppFactory = Callable[..., Awaitable[Quart]]
# Quart's test app gives an app's start-up 6 s; on a loaded two-core CI machine with two
# test workers, federation's (keys, templates, connections) has taken longer.
APP_START_TIMEOUT = 60


def lifespan_of(app: Quart) -> TestApp:
    """Quart's test app (the app's start-up and shut-down) with a CI machine's patience."""
    return TestApp(app, startup_timeout=APP_START_TIMEOUT, shutdown_timeout=APP_START_TIMEOUT)


@pytest.fixture
async def make_app(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], redis: Redis
) -> AsyncIterator[AppFactory]:
    """Start an app (its full lifespan, through `test_app()`) bound to the test transaction."""
    started: list[Any] = []

    async def start(name: str, *, app_settings: Settings | None = None, bind: bool = True) -> Quart:
        module = importlib.import_module(f"{name}.app")
        app: Quart = module.create_app(app_settings or settings)
        test_app = TestApp(
            app, startup_timeout=APP_START_TIMEOUT, shutdown_timeout=APP_START_TIMEOUT
        )
        await test_app.startup()
        started.append(test_app)
        if bind:
            runtime(app).db.sessions = sessions
        return app

    yield start
    for test_app in reversed(started):
        await test_app.shutdown()


ClientFactory = Callable[[str], Awaitable[TestClientProtocol]]


@pytest.fixture
def client_for(make_app: AppFactory) -> ClientFactory:
    async def open_client(name: str) -> TestClientProtocol:
        app = await make_app(name)
        return app.test_client()

    return open_client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]

"""PostgreSQL down or restarting: a 503 page that says so (with Retry-After), not a 500,
and the app serves again once it is back, without being restarted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy.exc
from quart import current_app
from sqlalchemy import text

from shared.dev.embedded import free_port, start_postgres
from shared.dev.schema import migrate
from shared.infrastructure.config import Settings, load_settings
from shared.infrastructure.runtime import request_session
from shared.infrastructure.unavailable import DATABASE, unavailable_service
from tests.conftest import AppFactory
from tests.support.databases import DatabaseServer


def settings_with_database(platform_env: dict[str, str], url: str) -> Settings:
    return load_settings({**platform_env, "DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "2"})


async def test_a_page_with_the_database_unreachable_is_a_503_naming_it(
    make_app: AppFactory, platform_env: dict[str, str]
) -> None:
    nowhere = f"postgresql+asyncpg://rose:ash@127.0.0.1:{free_port()}/nothing"
    app = await make_app(
        "market", app_settings=settings_with_database(platform_env, nowhere), bind=False
    )
    client = app.test_client()
    page = await client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    html = await page.get_data(as_text=True)
    assert "The database is not answering." in html
    assert "Something went wrong on our side" not in html
    api = await client.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert (await api.get_json())["status"] == 503


def test_a_statement_error_is_not_an_outage() -> None:
    refused = sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert unavailable_service(refused) is None
    assert unavailable_service(ValueError("bug")) is None
    assert unavailable_service(sqlalchemy.exc.TimeoutError("pool")) == DATABASE


@pytest.mark.slow
async def test_the_app_serves_again_after_postgresql_restarts(
    make_app: AppFactory, platform_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "pg" / "data"
    server = start_postgres(data, fast=True)
    port = server.port
    try:
        # create_fresh runs its own event loop: off this test's loop, in a thread.
        url = await asyncio.to_thread(DatabaseServer(server.url).create_fresh, "restarting")
        await asyncio.to_thread(migrate, url)
        app = await make_app(
            "market", app_settings=settings_with_database(platform_env, url), bind=False
        )
        client = app.test_client()
        assert (await client.get("/")).status_code == 200
        server.stop()
        down = await client.get("/")
        assert down.status_code == 503
        server = start_postgres(data, port=port, fast=True)
        # The pool's dead connections are dropped on checkout; the next request is served.
        for _ in range(20):
            if (await client.get("/")).status_code == 200:
                break
            await asyncio.sleep(0.25)
        assert (await client.get("/")).status_code == 200
    finally:
        server.stop()


async def _shutting_down_postgres(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer a connection the way a PostgreSQL in its fast shutdown does: SQLSTATE 57P03."""
    length = int.from_bytes(await reader.readexactly(4), "big")
    body = await reader.readexactly(length - 4)
    if body[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest: no TLS here, then startup
        writer.write(b"N")
        length = int.from_bytes(await reader.readexactly(4), "big")
        await reader.readexactly(length - 4)
    fields = b"".join(
        code + text + b"\0"
        for code, text in (
            (b"S", b"FATAL"),
            (b"V", b"FATAL"),
            (b"C", b"57P03"),
            (b"M", b"the database system is shutting down"),
        )
    )
    writer.write(b"E" + (len(fields) + 5).to_bytes(4, "big") + fields + b"\0")
    await writer.drain()
    writer.close()


async def test_a_database_shutting_down_is_a_503_not_a_500(
    make_app: AppFactory, platform_env: dict[str, str]
) -> None:
    # asyncpg's CannotConnectNowError sits behind SQLAlchemy's DBAPI error and the
    # dialect's own: the whole chain is looked through (seen as a 500 in bench/faults.py).
    server = await asyncio.start_server(_shutting_down_postgres, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        url = f"postgresql+asyncpg://rose:ash@127.0.0.1:{port}/stopping"
        app = await make_app(
            "market", app_settings=settings_with_database(platform_env, url), bind=False
        )
        page = await app.test_client().get("/")
        assert page.status_code == 503
        assert "The database is not answering." in await page.get_data(as_text=True)
    finally:
        server.close()
        await server.wait_closed()


async def test_a_page_made_before_the_database_dropped_the_connection_is_served(
    make_app: AppFactory, platform_env: dict[str, str]
) -> None:
    # The request's session is closed at teardown: its rollback on a connection the
    # server closed (a restart while the page waited on a fragment) must not turn the
    # finished page into a 500.
    app = await make_app("market", bind=False)
    plain_url = platform_env["DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")

    async def dropped() -> str:
        session = request_session(current_app)
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        connection = await session.connection()
        driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        admin = await asyncpg.connect(plain_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        for _ in range(100):  # asyncpg notices the server closing the socket
            if driver.is_closed():
                break
            await asyncio.sleep(0.02)
        assert driver.is_closed()
        return "made before the connection went"

    app.add_url_rule("/_test/dropped", "dropped", dropped)
    page = await app.test_client().get("/_test/dropped")
    assert page.status_code == 200
    assert await page.get_data(as_text=True) == "made before the connection went"

"""PostgreSQL down or restarting: a 503 page that says so (with Retry-After), not a 500,
and the app serves again once it is back, without being restarted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy.exc

from shared.dev.embedded import free_port, start_postgres
from shared.dev.schema import migrate
from shared.infrastructure.config import Settings, load_settings
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

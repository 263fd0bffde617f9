"""/healthz says the process is up; /readyz names what it cannot reach."""

from __future__ import annotations

import pytest

from shared.infrastructure.config import APP_NAMES, Settings
from tests.conftest import AppFactory, ClientFactory

UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/x"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize("name", APP_NAMES)
async def test_every_app_is_healthy_and_ready(client_for: ClientFactory, name: str) -> None:
    client = await client_for(name)
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert (await health.get_json()) == {"status": "ok", "app": name}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    body = await ready.get_json()
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    # A starter waiting for this app checks the name: another process may hold the port.
    assert body["app"] == name


async def test_readyz_names_the_database_when_it_is_down(
    make_app: AppFactory, settings: Settings
) -> None:
    broken = settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": UNREACHABLE_DATABASE})}
    )
    app = await make_app("blog", app_settings=broken, bind=False)
    response = await app.test_client().get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["database"] != "ok"
    # The process itself is fine: the orchestrator must not restart it.
    assert (await app.test_client().get("/healthz")).status_code == 200


async def test_readyz_names_redis_when_it_is_down(make_app: AppFactory, settings: Settings) -> None:
    broken = settings.model_copy(
        update={"redis": settings.redis.model_copy(update={"url": UNREACHABLE_REDIS})}
    )
    app = await make_app("cart", app_settings=broken)
    response = await app.test_client().get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"] == "ok"

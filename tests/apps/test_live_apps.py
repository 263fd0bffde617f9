"""All six apps as real Hypercorn processes: each answers over HTTP on its own port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.dev.schema import migrate
from shared.infrastructure.config import APP_NAMES
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer
from tests.support.live import LivePlatform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(
    database_server: DatabaseServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePlatform]:
    url = database_server.create_fresh("rose_ash_live_apps")
    migrate(url)
    platform = LivePlatform(url, redis_url, TEST_SECRET_KEY, tmp_path_factory.mktemp("logs"))
    platform.start()
    yield platform
    platform.stop()
    database_server.drop("rose_ash_live_apps")


@pytest.mark.parametrize("name", APP_NAMES)
def test_each_app_serves_its_home_page_over_http(live: LivePlatform, name: str) -> None:
    response = httpx.get(f"{live.internal_url(name)}/", headers={"Host": f"{name}.localhost"})
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    # The layout links every app by its public URL.
    assert live.public_url("market") in response.text


def test_static_assets_are_served(live: LivePlatform, repo_root: Path) -> None:
    response = httpx.get(f"{live.internal_url('blog')}/static/dist/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert len(response.content) > 1000

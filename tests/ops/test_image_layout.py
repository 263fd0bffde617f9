"""Each image's files are enough to run it: a Dockerfile's COPYs, replayed.

No Docker engine here, so this lays out what each Dockerfile copies (and
.dockerignore lets through) in a temp folder standing in for /app, and runs
the entry point from there against embedded PostgreSQL and Redis, with the
project's interpreter standing in for the image's installed dependencies.
An app that imported another app's package, or read a file its image does
not carry, fails here rather than in production.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shared.dev.embedded import free_port
from tests.ops.dockerfiles import stage_image
from tests.ops.repo_files import APPS
from tests.ops.running import Served, Servers, entrypoint_env, table_names

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def image_database_url(servers: Servers) -> str:
    # blog's test runs first and migrates it, from its own image layout.
    return servers.fresh_database("ops_images")


def test_the_layout_holds_only_what_the_dockerfile_copies(tmp_path: Path) -> None:
    root = stage_image("market", tmp_path)
    top = {path.name for path in root.iterdir()}
    assert top == {"pyproject.toml", "_config", "shared", "market"}
    assert not list(root.rglob("__pycache__"))


@pytest.mark.parametrize("app", APPS)
def test_app_runs_from_its_image_layout(
    app: str, servers: Servers, image_database_url: str, tmp_path: Path
) -> None:
    root = stage_image(app, tmp_path / "app")
    env = entrypoint_env(
        DATABASE_URL=image_database_url,
        REDIS_URL=servers.redis_url,
        PORT=str(free_port()),
        WEB_WORKERS="1",
        **({"RUN_MIGRATIONS": "true"} if app == "blog" else {}),
    )
    served = Served(app, env, tmp_path / f"{app}.log", root=root)
    try:
        assert served.wait_for_healthz().status_code == 200, served.output()
        ready = served.get("/readyz")
        assert ready.status_code == 200, ready.text
        code, _ = served.terminate()
    finally:
        served.close()
    assert code == 0, served.output()
    if app == "blog":
        assert {"alembic_version", "users", "posts"} <= table_names(image_database_url)


def test_worker_runs_from_its_image_layout_and_stops_on_sigterm(
    servers: Servers, image_database_url: str, tmp_path: Path
) -> None:
    root = stage_image("worker", tmp_path / "app")
    env = entrypoint_env(DATABASE_URL=image_database_url, REDIS_URL=servers.redis_url, PORT="0")
    served = Served("worker", env, tmp_path / "worker.log", root=root)
    try:
        time.sleep(3)
        assert served.proc.poll() is None, served.output()
        code, seconds = served.terminate()
    finally:
        served.close()
    # exec: the processor itself got SIGTERM and finished cleanly, in time for
    # Swarm's stop_grace_period.
    assert code == 0, served.output()
    assert seconds < 15, served.output()

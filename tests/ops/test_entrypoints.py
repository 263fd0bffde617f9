"""The container entry points, run for real against embedded PostgreSQL and Redis.

Each test runs the real `<app>/entrypoint.sh` from the checkout, as the image
runs it from /app, with `.venv/bin` first on PATH so `python` and
`hypercorn` are the project's. The servers are this module's own, in temp
dirs, so these tests depend on no session fixture (tests/ops/conftest.py).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from shared.dev.embedded import free_port
from tests.ops.repo_files import REPO_ROOT
from tests.ops.running import GRACEFUL_TIMEOUT, Served, Servers, entrypoint_env, table_names

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/x"


@pytest.mark.slow
def test_blog_migrates_an_empty_database_then_serves_healthz(
    servers: Servers, tmp_path: Path
) -> None:
    url = servers.fresh_database("ops_blog")
    assert table_names(url) == set()
    env = entrypoint_env(
        DATABASE_URL=url,
        REDIS_URL=servers.redis_url,
        RUN_MIGRATIONS="true",
        PORT=str(free_port()),
    )
    served = Served("blog", env, tmp_path / "blog.log")
    try:
        response = served.wait_for_healthz()
        assert response.status_code == 200, served.output()
        tables = table_names(url)
        assert {"alembic_version", "users", "posts"} <= tables, sorted(tables)
        assert "running migrations" in served.output()
        code, seconds = served.terminate()
    finally:
        served.close()
    # exec: SIGTERM reached Hypercorn itself, which shut down gracefully.
    assert code == 0, served.output()
    assert seconds < GRACEFUL_TIMEOUT + 5


@pytest.mark.slow
def test_market_never_migrates_even_when_asked(servers: Servers, tmp_path: Path) -> None:
    url = servers.fresh_database("ops_market")
    env = entrypoint_env(
        DATABASE_URL=url,
        REDIS_URL=servers.redis_url,
        RUN_MIGRATIONS="true",
        PORT=str(free_port()),
    )
    served = Served("market", env, tmp_path / "market.log")
    try:
        response = served.wait_for_healthz()
        assert response.status_code == 200, served.output()
        assert table_names(url) == set()
        assert "running migrations" not in served.output()
        code, _ = served.terminate()
    finally:
        served.close()
    assert code == 0, served.output()


@pytest.mark.parametrize("app", ["blog", "market", "worker"])
def test_an_unreachable_database_makes_the_entrypoint_give_up_clearly(app: str) -> None:
    env = entrypoint_env(
        DATABASE_URL=UNREACHABLE,
        REDIS_URL="redis://127.0.0.1:1/0",
        RUN_MIGRATIONS="true",
        DB_WAIT_TIMEOUT="3",
        PORT=str(free_port()),
    )
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO_ROOT / app / "entrypoint.sh")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert 2.5 < elapsed < 10
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == (
        f"entrypoint: gave up waiting for PostgreSQL at {UNREACHABLE} after 3s: connection refused"
    )
    assert "migrations" not in result.stderr

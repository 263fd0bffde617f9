"""`python -m blog.ghost sync`: progress and a summary on stderr, and an outage named
with Ghost's URL and a non-zero exit; run as a real process on a database of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from shared.dev.ghost import GhostStandIn
from shared.dev.schema import migrate
from tests.conftest import TEST_SECRET_KEY
from tests.support.databases import DatabaseServer

DATABASE = "rose_ash_ghost_cli"


@pytest.fixture
def cli_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    yield url
    database_server.drop(DATABASE)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blog.ghost", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sync_prints_progress_and_a_summary_and_names_an_outage(
    cli_database: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with GhostStandIn(posts=120, pages=2, images=False) as ghost:
        env = {
            "DATABASE_URL": cli_database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": TEST_SECRET_KEY,
            "ROSE_ASH_ENV": "test",
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("cli-media")),
            "GHOST_URL": ghost.url,
            "GHOST_ADMIN_KEY": ghost.admin_key,
            "GHOST_WEBHOOK_SECRET": ghost.webhook_secret,
        }
        done = run(env, "sync")
        assert done.returncode == 0, done.stderr
        assert "ghost sync: 122/122 posts and pages" in done.stderr
        assert "/s, ETA" in done.stderr
        assert "122 created, 0 updated, 0 deleted" in done.stderr

        again = run(env, "sync", "--full")
        assert again.returncode == 0, again.stderr
        assert "0 created, 0 updated, 0 deleted, 122 unchanged" in again.stderr

        ghost.down()
        down = run(env, "sync")
        assert down.returncode == 2
        assert f"Ghost at {ghost.url} failed" in down.stderr

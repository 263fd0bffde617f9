"""`python -m shared.infrastructure.dbwait`: the entry points' wait for PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from shared.infrastructure.dbwait import describe, plain_url, redact
from tests.ops.repo_files import REPO_ROOT
from tests.ops.running import Servers, entrypoint_env


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://rose:s3cret@db:5432/rose_ash", "postgresql://rose:***@db:5432/rose_ash"),
        ("postgresql://rose@db/rose_ash", "postgresql://rose@db/rose_ash"),
        (
            "postgresql://rose:p%40ss@db/x?sslmode=require",
            "postgresql://rose:***@db/x?sslmode=require",
        ),
    ],
)
def test_redact_hides_only_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_plain_url_accepts_what_the_config_accepts() -> None:
    assert plain_url("postgresql+asyncpg://u@h/d") == "postgresql://u@h/d"
    assert plain_url("postgres://u@h/d") == "postgresql://u@h/d"
    with pytest.raises(ValueError, match="postgresql://"):
        plain_url("mysql://u@h/d")


def test_describe_names_the_usual_failures_plainly() -> None:
    assert describe(ConnectionRefusedError(111, "Connection refused")) == "connection refused"
    assert describe(TimeoutError()) == "timed out"


def run_dbwait(url: str, timeout: str = "3") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.infrastructure.dbwait", "--timeout", timeout],
        cwd=REPO_ROOT,
        env=entrypoint_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_dbwait_never_prints_the_password() -> None:
    result = run_dbwait("postgresql+asyncpg://rose:hunter2@127.0.0.1:1/rose_ash", "1")
    assert result.returncode == 1
    assert "hunter2" not in result.stderr
    assert "postgresql://rose:***@127.0.0.1:1/rose_ash after 1s" in result.stderr


def test_dbwait_refuses_a_missing_or_foreign_url() -> None:
    assert run_dbwait("").returncode == 2
    result = run_dbwait("mysql://root@127.0.0.1/x")
    assert result.returncode == 2
    assert "must be a postgresql:// URL" in result.stderr


@pytest.mark.slow
def test_dbwait_returns_at_once_when_postgres_is_up(servers: Servers) -> None:
    result = run_dbwait(servers.postgres.url)
    assert result.returncode == 0, result.stderr
    assert "is ready" in result.stderr


@pytest.mark.slow
def test_dbwait_reports_a_missing_database_without_waiting(servers: Servers) -> None:
    # Waiting cannot create a database: say so now, not at the deadline.
    url = servers.postgres.database_url("no_such_database")
    started = time.monotonic()
    result = run_dbwait(url, "30")
    assert result.returncode == 1
    assert time.monotonic() - started < 10
    assert 'database "no_such_database" does not exist' in result.stderr

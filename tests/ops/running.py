"""Running the entry points for real: embedded servers, a clean environment, a served app."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.dev.embedded import EmbeddedPostgres
from tests.ops.repo_files import REPO_ROOT, VENV_BIN

SECRET_KEY = "entrypoint-test-secret-key-0123456789-abcdefghij"
# Generous for two cold Hypercorn workers on a 2-core machine.
SERVE_TIMEOUT = 90.0
GRACEFUL_TIMEOUT = 5


@dataclass(frozen=True, slots=True)
class Servers:
    postgres: EmbeddedPostgres
    redis_url: str

    def fresh_database(self, name: str) -> str:
        return self.postgres.create_database(name, exists_ok=False)


def entrypoint_env(**overrides: str) -> dict[str, str]:
    """A clean environment: nothing from the test run's own settings leaks in."""
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "ROSE_ASH_ENV": "test",
        "SECRET_KEY": SECRET_KEY,
        "HOST": "127.0.0.1",
        "GRACEFUL_TIMEOUT": str(GRACEFUL_TIMEOUT),
    }
    env.update(overrides)
    return env


def table_names(url: str) -> set[str]:
    async def query() -> set[str]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        finally:
            await connection.close()
        return {row["tablename"] for row in rows}

    return asyncio.run(query())


class Served:
    """An entry point started in the background, its output in a log file."""

    def __init__(
        self, app: str, env: dict[str, str], log_path: Path, root: Path = REPO_ROOT
    ) -> None:
        self.port = int(env["PORT"])
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(root / app / "entrypoint.sh")],
            cwd=root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5.0)

    def wait_for_healthz(self) -> httpx.Response:
        deadline = time.monotonic() + SERVE_TIMEOUT
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"entrypoint exited with {self.proc.returncode}:\n{self.output()}")
            try:
                response = httpx.get(url, timeout=2.0)
            except httpx.TransportError:
                time.sleep(0.25)
                continue
            return response
        pytest.fail(f"no answer on {url} after {SERVE_TIMEOUT}s:\n{self.output()}")

    def terminate(self) -> tuple[int, float]:
        """SIGTERM, as Swarm sends it; the exit code and how long it took."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=GRACEFUL_TIMEOUT + 10)
        finally:
            self.close()
        return code, time.monotonic() - started

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

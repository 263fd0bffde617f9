"""Helpers for the tests that run real processes: EventProcessor workers, committed data."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from shared.dev.processes import spawn, stop_all
from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import APP_NAMES, Settings, load_settings
from shared.models.activitypub import Actor

REPO_ROOT = Path(__file__).resolve().parents[3]
WORKER = ["-m", "shared.infrastructure.jobs", "run"]


def worker_env(base: dict[str, str], **overrides: str) -> dict[str, str]:
    """The environment of a worker in the tests: loopback allowed, a fast retry curve."""
    return {
        **base,
        "AP_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "AP_DELIVERY_BACKOFF_SCALE": "0.01",
        "AP_WORKER_POLL_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def app_urls(public: dict[str, str]) -> dict[str, str]:
    env = {}
    for name in APP_NAMES:
        env[f"APP_BASE_URL_{name.upper()}"] = public[name]
        env[f"APP_INTERNAL_URL_{name.upper()}"] = public[name]
    return env


@dataclass
class Workers:
    """EventProcessor processes started by a test; stopped (SIGTERM) at the end."""

    env: dict[str, str]
    log_dir: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, count: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(count):
            log = (self.log_dir / f"worker-{len(self.running)}.log").open("ab")
            proc = spawn(
                [sys.executable, *WORKER],
                stdout=log,
                env={**os.environ, **self.env},
                cwd=REPO_ROOT,
            )
            log.close()
            self.running.append(proc)
            started.append(proc)
        return started

    async def stop(self, proc: subprocess.Popen[bytes], wait_seconds: float = 30.0) -> int:
        """SIGTERM and wait, without blocking the loop (stand-in servers run on it)."""
        proc.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(proc.wait, wait_seconds)

    def stop_all(self) -> None:
        stop_all([(proc, signal.SIGTERM) for proc in self.running], timeout=30.0)
        self.running.clear()

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-3000:]
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )


@asynccontextmanager
async def committed(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session whose work really commits (the processes under test must see it), in a
    unit of work of a real platform, so what the domains record (a post published) is
    handled as in production: its outbox row commits with it."""
    async with bootstrap(settings, name="test") as platform, platform.unit_of_work() as uow:
        yield uow.session


def settings_for(env: dict[str, str]) -> Settings:
    return load_settings({**os.environ, **env})


def remote_actor(ap_id: str, inbox: str, shared_inbox: str | None, public_pem: str) -> Actor:
    domain = ap_id.split("/")[2]
    return Actor(
        ap_id=ap_id,
        kind="remote",
        type="Person",
        preferred_username=ap_id.rsplit("/", 1)[-1],
        domain=domain,
        inbox_url=inbox,
        shared_inbox_url=shared_inbox,
        key_id=f"{ap_id}#main-key",
        public_key_pem=public_pem,
    )

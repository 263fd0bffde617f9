"""The real apps as separate Hypercorn processes on loopback, for tests about HTTP.

    platform = LivePlatform(database_url, redis_url, extra_env={...})
    platform.start("blog", "cart")          # waits until each answers /readyz
    httpx.get(platform.internal_url("blog") + "/")
    platform.stop_app("cart"); platform.start("cart")
    platform.stop()

Each app listens on its own port of 127.0.0.1. Its public URL is
`http://<app>.localhost:<port>` (what a browser uses: Chromium resolves
*.localhost to loopback), its internal URL `http://127.0.0.1:<port>`.
Processes write to one log file per app, shown when an app fails to start.
Rows the processes commit are real: use a database of the test's own
(`DatabaseServer.create_fresh`) and `truncate_all()` between tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from shared.dev.embedded import free_port
from shared.dev.processes import spawn, stop_all
from shared.dev.schema import migrate
from shared.dev.smtp import SmtpStandIn
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import APP_NAMES
from shared.infrastructure.oidc.keys import generate_private_key_pem
from shared.infrastructure.serving import HYPERCORN_ARGS
from tests.support.databases import DatabaseServer

REPO_ROOT = Path(__file__).resolve().parents[2]
# Six apps import, compile their templates and connect at once: on a small shared CI
# machine that alone can take half a minute.
START_TIMEOUT = 90.0
HYPERCORN = Path(sys.executable).parent / "hypercorn"


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class LivePlatform:
    database_url: str
    redis_url: str
    secret_key: str
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    # Each app on its own loopback address (127.0.0.11-16), public URL included: for
    # peers that must reach the apps by their public URLs (DESIGN.md section 1).
    loopback_ips: bool = False
    _running: dict[str, _Running] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Ports are fixed up front so every app knows every other app's URLs.
        for name in APP_NAMES:
            self.ports.setdefault(name, free_port())
        # A platform starts on an empty Redis database: each one's PostgreSQL numbers its
        # members from 1, so an earlier platform's member-scoped fragments (the user menu
        # of member 3) left in a shared database would show on this one's pages.
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def host(self, name: str) -> str:
        """The loopback address the app listens on."""
        return f"127.0.0.{11 + APP_NAMES.index(name)}" if self.loopback_ips else "127.0.0.1"

    def public_url(self, name: str) -> str:
        if self.loopback_ips:
            return f"http://{self.host(name)}:{self.ports[name]}"
        return f"http://{name}.localhost:{self.ports[name]}"

    def internal_url(self, name: str) -> str:
        return f"http://{self.host(name)}:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,
            "ROSE_ASH_ENV": "test",
            # A loaded test machine answers a cold fragment in more than the production
            # half second, and the page would silently leave the card out.
            "FRAGMENT_TIMEOUT": "5",
            "FRAGMENT_PAGE_BUDGET": "8",
        }
        for name in APP_NAMES:
            env[f"APP_BASE_URL_{name.upper()}"] = self.public_url(name)
            env[f"APP_INTERNAL_URL_{name.upper()}"] = self.internal_url(name)
        env.update(self.extra_env)
        return env

    def start(self, *names: str) -> None:
        """Start the named apps (all six when none are named) and wait until each is ready."""
        names = names or APP_NAMES
        env = self.env()
        for name in names:
            if name in self._running:
                continue
            log_path = self.log_dir / f"{name}.log"
            with log_path.open("ab") as log:
                proc = spawn(
                    [
                        HYPERCORN,
                        *HYPERCORN_ARGS,
                        "--bind",
                        f"{self.host(name)}:{self.ports[name]}",
                        f"{name}.app:create_app()",
                    ],
                    stdout=log,
                    env=env,
                    cwd=REPO_ROOT,
                )
            self._running[name] = _Running(proc, log_path)
        for name in names:
            self._wait_ready(name)

    def _wait_ready(self, name: str) -> None:
        running = self._running[name]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if running.proc.poll() is not None:
                break
            try:
                answer = httpx.get(f"{self.internal_url(name)}/readyz", timeout=1)
                if answer.status_code == 200 and answer.json().get("app") == name:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        log = running.log_path.read_text(errors="replace")[-4000:]
        self.stop()
        raise RuntimeError(f"{name} did not become ready; its log:\n{log}")

    def stop_app(self, name: str) -> None:
        running = self._running.pop(name, None)
        if running is not None:
            stop_all([(running.proc, signal.SIGTERM)])

    def stop(self) -> None:
        running = list(self._running.values())
        self._running.clear()
        stop_all([(r.proc, signal.SIGTERM) for r in running])


def smtp_env(mail: SmtpStandIn) -> dict[str, str]:
    """The settings that send the platform's mail to the SMTP stand-in."""
    return {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port)}


def sumup_env(payments: SumUpStandIn) -> dict[str, str]:
    """The settings that take the platform's payments through the SumUp stand-in."""
    return {
        "SUMUP_API_URL": payments.url,
        "SUMUP_API_KEY": payments.api_key,
        "SUMUP_MERCHANT_CODE": payments.merchant_code,
    }


def redis_database(redis_url: str, number: int) -> str:
    """The tests' Redis with database `number`: a live platform's own, so that its sessions
    and caches are not flushed by, nor leak into, other tests."""
    return f"{redis_url.rsplit('/', 1)[0]}/{number}"


@contextmanager
def running_platform(
    database_server: DatabaseServer,
    database: str,
    redis_url: str,
    secret_key: str,
    log_dir: Path,
    extra_env: dict[str, str],
    *,
    apps: Sequence[str] = (),
    setup: Callable[[LivePlatform], None] | None = None,
) -> Iterator[LivePlatform]:
    """A fresh migrated `database`, the apps (all by default) on loopback as a browser
    reaches them (ROSE_ASH_ENV=dev: cookies without Secure) and one jobs worker; all of
    it stopped and the database dropped afterwards. `setup` may add settings that name
    the platform's own URLs before anything starts."""
    url = database_server.create_fresh(database)
    migrate(url)
    platform = LivePlatform(
        url,
        redis_url,
        secret_key,
        log_dir,
        extra_env={
            "OIDC_PRIVATE_KEY": generate_private_key_pem(),
            "ROSE_ASH_ENV": "dev",
            **extra_env,
        },
    )
    if setup is not None:
        setup(platform)
    platform.start(*apps)
    log = (platform.log_dir / "worker.log").open("ab")
    worker = spawn(
        [sys.executable, "-m", "shared.infrastructure.jobs", "run"],
        stdout=log,
        env=platform.env(),
        cwd=REPO_ROOT,
    )
    try:
        yield platform
    finally:
        stop_all([(worker, signal.SIGTERM)])
        log.close()
        platform.stop()
        database_server.drop(database)

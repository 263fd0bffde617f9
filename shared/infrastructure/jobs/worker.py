"""The worker process: every job kind and every worker loop (ActivityPub delivery), one
process, run as many as you like (`python -m shared.infrastructure.jobs run`).

Wake-ups come by LISTEN on one dedicated asyncpg connection (the jobs' channel
and the loops' own); a lost connection is retried every poll interval while
everything keeps polling, so it degrades to polling, never to a stop. SIGTERM
or SIGINT stops claiming and lets the work in hand finish (see `Runner`), then
the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

import asyncpg

from shared.infrastructure.bootstrap import bootstrap
from shared.infrastructure.config import ConfigError, Settings, load_settings
from shared.infrastructure.jobs import registry
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.queue import NOTIFY_CHANNEL
from shared.infrastructure.jobs.runner import Runner
from shared.infrastructure.jobs.settings import JobSettings

log = logging.getLogger("rose_ash.worker")
# The LISTEN connection's name in pg_stat_activity, for operators (and the tests).
LISTEN_APPLICATION = "rose-ash-worker-listen"


class Listener:
    """LISTEN on `channels`, calling `on_notify(channel, payload)`; reconnects forever."""

    def __init__(
        self,
        url: str,
        channels: list[str],
        on_notify: Callable[[str, str], None],
        on_reconnect: Callable[[], None],
        every: float,
    ) -> None:
        self.url, self.channels, self.every = url, channels, every
        self.on_notify, self.on_reconnect = on_notify, on_reconnect
        self.connected = asyncio.Event()

    def _notified(self, _conn: object, _pid: int, channel: str, payload: object) -> None:
        self.on_notify(channel, str(payload))

    async def run(self, stopping: asyncio.Event) -> None:
        # Set by any failure, the first connection's included (it can be cut while it is
        # still adding its listeners): what was notified meanwhile is due once back.
        lost = False
        while not stopping.is_set():
            connection: asyncpg.Connection | None = None
            try:
                connecting = asyncpg.connect(
                    self.url, server_settings={"application_name": LISTEN_APPLICATION}
                )
                connection = conn = await asyncio.wait_for(connecting, timeout=10)
                for channel in self.channels:
                    await conn.add_listener(channel, self._notified)
                self.connected.set()
                if lost:
                    log.info("LISTEN restored")
                    self.on_reconnect()
                    lost = False
                while not stopping.is_set():
                    # A ping each interval: a dead TCP connection shows here, not never.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), timeout=self.every)
                    if not stopping.is_set():
                        await asyncio.wait_for(conn.execute("SELECT 1"), timeout=10)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.connected.clear()
                lost = True
                log.warning("cannot LISTEN (%s): polling every %gs", exc, self.every)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=self.every)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(connection.close(), timeout=5)


async def serve(settings: Settings, jobs: JobSettings) -> int:
    worker_name = f"{socket.gethostname()}:{os.getpid()}"
    stopping = asyncio.Event()
    # The worker starts through the one bootstrap, like the apps: its pools, one order.
    platform = bootstrap(
        settings,
        name="worker",
        federation_connections=max(256, settings.activitypub.worker_concurrency * 4),
    )
    await platform.open()
    ctx = JobContext(settings, platform.db.sessionmaker, platform.federation_http, worker_name)
    try:
        loops = {name: factory(ctx, stopping) for name, factory in registry.loops().items()}
        runner = Runner(ctx, registry.kinds(), registry.schedules(), jobs, stopping)

        def notified(channel: str, payload: str) -> None:
            if channel == NOTIFY_CHANNEL:
                if payload in runner.kinds:
                    runner.wake.set()
                return
            for loop in loops.values():
                if channel in loop.channels:
                    loop.notified(channel, payload)

        def reconnected() -> None:
            runner.wake.set()
            for loop in loops.values():
                for channel in loop.channels:
                    loop.notified(channel, "*")

        channels = [NOTIFY_CHANNEL, *{c for loop in loops.values() for c in loop.channels}]
        listener = Listener(
            settings.database.plain_url, channels, notified, reconnected, jobs.poll_seconds
        )
        signals = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signals.add_signal_handler(sig, stopping.set)
        log.info(
            "worker %s started: %d job kind(s), %d schedule(s), loops: %s",
            worker_name, len(runner.kinds), len(runner.schedules), ", ".join(loops) or "none",
        )  # fmt: skip
        listening = asyncio.create_task(listener.run(stopping))
        with contextlib.suppress(TimeoutError):  # start at once either way: polling covers it
            await asyncio.wait_for(listener.connected.wait(), timeout=2)
        try:
            await asyncio.gather(runner.run(), *(loop.run() for loop in loops.values()))
        finally:
            stopping.set()
            await listening
    finally:
        await platform.close()
    log.info("worker stopped: %d job(s) succeeded, %d failed", runner.succeeded, runner.failed)
    return 0


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s worker %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        jobs = JobSettings.from_env()
        registry.load(jobs.kind_modules)
        return asyncio.run(serve(settings, jobs))
    except ConfigError as exc:
        print(f"rose-ash worker: configuration error: {exc}", file=sys.stderr)
        return 2

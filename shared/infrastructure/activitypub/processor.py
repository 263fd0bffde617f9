"""The EventProcessor: ActivityPub's loop in the worker (`python -m shared.infrastructure.jobs
run`, which runs every job kind; this module's `main` is the old name for it).

In every worker process (run as many as you like) it loops over two jobs:
fan outbound activities out into deliveries, and send due deliveries (up to
`worker_concurrency` at once, a few per host). Inbound activities no app got
to are a job kind of their own (`activitypub.inbound`, in inbox.py). Each
claims its rows with `FOR UPDATE SKIP LOCKED`, so workers share the work
without overlap. Writers NOTIFY on commit and the worker LISTENs (on its one
connection, for every loop and the jobs), so new work starts at once;
polling every `worker_poll_seconds` is the fallback. Deliveries keep their
own table and batched claiming rather than a job row each: thousands of rows
a post, a few per host at once, their attempts recorded per delivery.

SIGTERM (or SIGINT) stops claiming, lets the deliveries in flight finish
(for up to STOP_GRACE seconds), records them, and gives back the claimed
rows it never started: nothing claimed is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.actors import (
    ensure_local_actors,
    ensure_member_keys,
    signer_for,
)
from shared.infrastructure.activitypub.delivery import (
    Claimed,
    Outcome,
    claim_activities_to_fan_out,
    claim_deliveries,
    fan_out,
    mark_fanned_out,
    record,
    release,
)
from shared.infrastructure.activitypub.http import FederationClient, FetchError, Signer
from shared.infrastructure.activitypub.keys import platform_keypair
from shared.infrastructure.activitypub.outbox import NOTIFY_CHANNEL
from shared.infrastructure.activitypub.remote import RemoteActors
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.registry import worker_loop
from shared.models.activitypub import Activity, Actor, ActorKind

log = logging.getLogger("rose_ash.processor")
STOP_GRACE = 20.0
PER_HOST = 8
FLUSH_EVERY = 0.05
FAN_OUT_BATCH = 20


class Processor:
    """ActivityPub's worker loop (see `shared.infrastructure.jobs.registry.WorkerLoop`)."""

    channels: tuple[str, ...] = (NOTIFY_CHANNEL,)

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        client: FederationClient,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.settings = settings
        self.ap = settings.activitypub
        self.sessions = sessions
        self.client = client
        self.stopping = stopping if stopping is not None else asyncio.Event()
        self.delivered = 0
        self._bodies: dict[int, bytes] = {}
        self._signers: dict[int, Signer] = {}
        self._activity_actor: dict[int, int] = {}
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(PER_HOST))
        self._outcomes: list[Outcome] = []
        self._wake = {kind: asyncio.Event() for kind in ("outbound", "deliveries")}
        self._background: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        async with self.sessions() as session, session.begin():
            await ensure_local_actors(session, self.settings)
        await asyncio.gather(self._fan_out_loop(), self._delivery_loop())

    async def _idle(self, kind: str) -> None:
        """Wait for a NOTIFY of this kind of work, a stop, or the poll interval."""
        wake = self._wake[kind]
        waiters = [asyncio.ensure_future(self.stopping.wait()), asyncio.ensure_future(wake.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.ap.worker_poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            wake.clear()

    # -- fan-out ------------------------------------------------------------------------

    async def fan_out_once(self) -> int:
        async with self.sessions() as session, session.begin():
            activities = await claim_activities_to_fan_out(session, FAN_OUT_BATCH)
            remote = RemoteActors(session, self.settings, self.client)
            for activity in activities:
                count = await fan_out(session, activity, remote)
                await mark_fanned_out(session, activity)
                log.info("%s %s: %d inbox(es)", activity.type, activity.ap_id, count)
            return len(activities)

    async def _fan_out_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                if await self.fan_out_once():
                    continue
            except Exception:
                log.exception("fan-out failed; retrying")
            await self._idle("outbound")

    # -- deliveries ---------------------------------------------------------------------

    async def _prepare(self, session: AsyncSession, claimed: list[Claimed]) -> None:
        missing = {c.activity_id for c in claimed} - self._bodies.keys()
        if missing:
            rows = await session.execute(
                select(Activity.id, Activity.actor_id, Activity.payload).where(
                    Activity.id.in_(missing)
                )
            )
            for activity_id, actor_id, payload in rows:
                self._bodies[activity_id] = json.dumps(payload, separators=(",", ":")).encode()
                self._activity_actor[activity_id] = actor_id
        for actor_id in set(self._activity_actor.values()) - self._signers.keys():
            actor = await session.get(Actor, actor_id)
            assert actor is not None
            if actor.kind == ActorKind.MEMBER:
                await ensure_member_keys(session, self.settings, actor)
            self._signers[actor_id] = signer_for(self.settings, actor)
        if len(self._bodies) > 5000:  # old activities are rarely retried: forget them
            self._bodies.clear()
            self._activity_actor.clear()

    async def deliver(self, item: Claimed) -> Outcome:
        body = self._bodies[item.activity_id]
        signer = self._signers[self._activity_actor[item.activity_id]]
        host = item.inbox_url.split("/")[2] if "//" in item.inbox_url else item.inbox_url
        started = time.monotonic()
        code: int | None
        async with self._hosts[host]:
            try:
                response = await self.client.post(item.inbox_url, body, signer)
                code, error = response.status, None
                if not 200 <= code < 300:
                    error = response.body[:300].decode("utf-8", "replace") or f"HTTP {code}"
            except FetchError as exc:
                code, error = exc.status, str(exc)[:2000]
            except Exception as exc:  # a bug must cost one attempt, not the worker
                log.exception("delivering %s to %s failed", item.activity_id, item.inbox_url)
                code, error = None, f"{type(exc).__name__}: {exc}"[:2000]
        return Outcome(item, code, error, int((time.monotonic() - started) * 1000))

    async def _flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        try:
            async with self.sessions() as session, session.begin():
                await record(session, outcomes, self.ap)
        except Exception:  # keep them for the next flush; the leases cover a crash
            log.exception("recording %d outcomes failed; will retry", len(outcomes))
            self._outcomes[:0] = outcomes
            return
        self.delivered += sum(1 for o in outcomes if o.error is None)

    async def _claim(self, queue: deque[Claimed], limit: int) -> None:
        try:
            async with self.sessions() as session, session.begin():
                fresh = await claim_deliveries(session, limit)
                await self._prepare(session, fresh)
            queue.extend(fresh)
        except Exception:
            log.exception("claiming deliveries failed")

    def _in_background(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work` unless the previous one of that name is still running, so claims and
        records overlap the deliveries in flight instead of stalling them."""
        task = self._background.get(name)
        if task is None or task.done():
            self._background[name] = asyncio.create_task(work())

    async def _settle(self, name: str) -> None:
        task = self._background.pop(name, None)
        if task is not None:
            await task

    async def _delivery_loop(self) -> None:
        concurrency = self.ap.worker_concurrency
        queue: deque[Claimed] = deque()
        running: dict[asyncio.Task[Outcome], Claimed] = {}
        progress = asyncio.Event()

        def collect(task: asyncio.Task[Outcome]) -> None:
            # Straight into the list: a queue read under a timeout can lose an item.
            running.pop(task, None)
            if not task.cancelled():
                self._outcomes.append(task.result())
            progress.set()

        def claim() -> Coroutine[Any, Any, None]:
            return self._claim(queue, concurrency * 2 - len(queue))

        last_flush = time.monotonic()
        while not self.stopping.is_set():
            if len(queue) < concurrency:
                if running:
                    self._in_background("claim", claim)
                else:
                    await self._settle("claim")
                    await claim()
            while queue and len(running) < concurrency:
                item = queue.popleft()
                task = asyncio.create_task(self.deliver(item))
                running[task] = item
                task.add_done_callback(collect)
            if not running:
                await self._settle("flush")
                await self._flush()
                await self._idle("deliveries")
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_EVERY):
                    await progress.wait()
            progress.clear()
            if len(self._outcomes) >= concurrency or time.monotonic() - last_flush > FLUSH_EVERY:
                self._in_background("flush", self._flush)
                last_flush = time.monotonic()
        await self._stop_deliveries(queue, running)

    async def _stop_deliveries(
        self,
        queue: deque[Claimed],
        running: dict[asyncio.Task[Outcome], Claimed],
    ) -> None:
        await self._settle("claim")  # what it claims is given back below
        log.info("stopping: %d in flight, %d claimed not started", len(running), len(queue))
        if running:
            await asyncio.wait(list(running), timeout=STOP_GRACE)
            await asyncio.sleep(0)  # let the last done-callbacks collect their outcomes
        unfinished = list(running.values())
        for task in list(running):
            task.cancel()
        await self._settle("flush")
        await self._flush()
        async with self.sessions() as session, session.begin():
            await release(session, [*queue, *unfinished])

    # -- wake-ups -------------------------------------------------------------------------

    def notified(self, channel: str, payload: str) -> None:
        """A NOTIFY on our channel (the worker LISTENs for us); "*" after a reconnect."""
        if payload == "*":
            for event in self._wake.values():
                event.set()
        elif (woken := self._wake.get(payload)) is not None:
            woken.set()


@worker_loop("activitypub")
def activitypub_loop(ctx: JobContext, stopping: asyncio.Event) -> Processor:
    """ActivityPub in the worker: fan-out and deliveries, beside the jobs."""
    platform_keypair(ctx.settings)  # a bad or (in prod) missing key stops start-up here
    return Processor(ctx.settings, ctx.sessions, ctx.federation, stopping)


def main() -> int:
    """The old entry point: the worker now runs every job kind, this included."""
    from shared.infrastructure.jobs.worker import main as run_worker

    return run_worker()


if __name__ == "__main__":
    sys.exit(main())

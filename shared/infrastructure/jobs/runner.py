"""The job runner: claims due jobs of the kinds this process knows, runs them, records
what happened, and ticks the periodic schedules.

* Up to `concurrency` jobs at once, each under `asyncio.timeout(kind.timeout)`.
* Each claimed job holds a lease (`leased_until`), renewed every third of it
  while the job runs: a worker killed mid-job (SIGKILL, lost host) stops
  renewing, and once the lease runs out any worker claims the job again.
* A failure retries after an exponential backoff with jitter; after the
  kind's last attempt the job is `dead` and stays, with its last error.
* `stopping` (SIGTERM) stops claiming; jobs in hand get `grace` seconds to
  finish, then are cancelled and given back (due now, attempt uncounted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.jobs import queue, schedules
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.queue import ClaimedJob
from shared.infrastructure.jobs.registry import JobKind, Schedule
from shared.infrastructure.jobs.settings import JobSettings

log = logging.getLogger("rose_ash.jobs")


class Runner:
    def __init__(
        self,
        ctx: JobContext,
        kinds: dict[str, JobKind],
        periodic: Iterable[Schedule],
        settings: JobSettings,
        stopping: asyncio.Event,
    ) -> None:
        self.ctx = ctx
        self.sessions: async_sessionmaker[AsyncSession] = ctx.sessions
        self.kinds = kinds
        self.schedules = list(periodic)
        self.settings = settings
        self.stopping = stopping
        self.worker = ctx.worker
        self.wake = asyncio.Event()
        self.running: dict[asyncio.Task[None], ClaimedJob] = {}
        self.lease = timedelta(seconds=settings.lease_seconds)
        self.succeeded = 0
        self.failed = 0
        self.registered = False

    async def run(self) -> None:
        heartbeat = asyncio.create_task(self._heartbeat())
        next_tick = 0.0
        try:
            while not self.stopping.is_set():
                if time.monotonic() >= next_tick:
                    next_tick = await self._tick()
                free = self.settings.concurrency - len(self.running)
                claimed = await self._claim(free) if free > 0 else []
                for job in claimed:
                    task = asyncio.create_task(self._execute(job))
                    self.running[task] = job
                    task.add_done_callback(lambda t: self.running.pop(t, None))
                if claimed and len(claimed) == free:
                    # A full claim: there may be more; wait only for a free slot.
                    await self._wait(self.settings.poll_seconds, for_wake=False)
                else:
                    until_tick = max(0.0, next_tick - time.monotonic())
                    await self._wait(min(self.settings.poll_seconds, until_tick), for_wake=True)
        finally:
            await self._drain()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _wait(self, within: float, for_wake: bool) -> None:
        waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(self.stopping.wait())]
        if for_wake:
            waiters.append(asyncio.ensure_future(self.wake.wait()))
        pending: set[asyncio.Future[object]] = set(waiters)
        pending |= set(self.running)  # type: ignore[arg-type]
        try:
            await asyncio.wait(pending, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            self.wake.clear()

    async def _tick(self) -> float:
        """Tick the due schedules; when (monotonic) to look again."""
        poll = self.settings.poll_seconds
        if not self.schedules:
            return time.monotonic() + 3600
        try:
            async with self.sessions() as session, session.begin():
                if not self.registered:
                    await schedules.register_schedules(session, self.schedules)
                    self.registered = True
                upcoming = await schedules.tick(session, self.schedules)
        except Exception:
            log.exception("ticking the schedules failed; retrying")
            return time.monotonic() + poll
        if upcoming is None:
            return time.monotonic() + poll
        ahead = (upcoming - datetime.now(UTC)).total_seconds()
        return time.monotonic() + min(max(ahead, 0.0), poll)

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        try:
            async with self.sessions() as session, session.begin():
                return await queue.claim(session, list(self.kinds), limit, self.worker, self.lease)
        except Exception:
            log.exception("claiming jobs failed")
            return []

    async def _execute(self, job: ClaimedJob) -> None:
        spec = self.kinds[job.kind]
        started = time.monotonic()
        error: str | None = None
        try:
            async with asyncio.timeout(spec.timeout.total_seconds()):
                await spec.handler(self.ctx.for_job(job.id, job.attempt), job.payload)
        except TimeoutError:
            error = f"timed out after {spec.timeout.total_seconds():g}s"
        except Exception as exc:  # a failing job costs one attempt, never the worker
            error = "".join(traceback.format_exception(exc, limit=-8)).strip()
        elapsed = time.monotonic() - started
        # Recording must survive a stop request: shielded from the drain's cancel.
        await asyncio.shield(self._record(job, spec, error, elapsed))

    async def _record(self, job: ClaimedJob, spec: JobKind, error: str | None, took: float) -> None:
        # Tried again until the lease would have run out (while the database is away the
        # heartbeat cannot renew it either): given up sooner, a job that ran would run
        # again once its lease ends, and one that sent a mail would send it twice
        # (bench/faults.py's PostgreSQL restart, 5 s down, did with three tries in 2.5 s).
        deadline = time.monotonic() + self.settings.lease_seconds
        delay = 0.0
        while True:
            await asyncio.sleep(delay)
            try:
                async with self.sessions() as session, session.begin():
                    if error is None:
                        ours = await queue.succeed(session, job.id, self.worker)
                        state = "succeeded" if ours else "lost its lease"
                    else:
                        state = await queue.fail(session, job, self.worker, error, spec)
                break
            except Exception as exc:
                if delay == 0.0:
                    log.exception("recording job %d failed; trying again", job.id)
                delay = min(max(delay * 2, 0.25), 1.0)
                if time.monotonic() + delay >= deadline:
                    # The lease runs out and a worker takes the job again.
                    log.error("recording job %d failed until its lease ended: %s", job.id, exc)
                    return
        if error is None:
            self.succeeded += 1
            log.info("job %d %s attempt %d %s in %.3fs", job.id, job.kind, job.attempt, state, took)
        else:
            self.failed += 1
            last_line = error.strip().splitlines()[-1] if error.strip() else error
            log.warning(
                "job %d %s attempt %d %s: %s", job.id, job.kind, job.attempt, state, last_line
            )

    async def _heartbeat(self) -> None:
        every = max(self.settings.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            ids = [job.id for job in self.running.values()]
            if not ids:
                continue
            try:
                async with self.sessions() as session, session.begin():
                    ours = await queue.extend_leases(session, ids, self.worker, self.lease)
                if lost := set(ids) - ours:
                    log.warning("jobs %s are no longer leased to this worker", sorted(lost))
            except Exception:
                log.exception("renewing leases failed")

    async def _drain(self) -> None:
        """Let the jobs in hand finish within the grace period; give back the rest."""
        if not self.running:
            return
        grace = self.settings.stop_grace
        log.info("stopping: %d job(s) in hand, %gs to finish", len(self.running), grace)
        await asyncio.wait(list(self.running), timeout=grace)
        unfinished = dict(self.running)
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.wait(list(unfinished), timeout=5)
            ids = [job.id for job in unfinished.values()]
            try:
                async with self.sessions() as session, session.begin():
                    await queue.release(session, ids, self.worker)
                log.info("gave back %d unfinished job(s): %s", len(ids), ids)
            except Exception:  # their leases run out: another worker takes them then
                log.exception("giving back jobs %s failed", ids)

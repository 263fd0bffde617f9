"""The queue's own periodic job: prune finished jobs after a while."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from shared.infrastructure.jobs import queue
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.registry import job_kind, periodic
from shared.infrastructure.jobs.settings import JobSettings

log = logging.getLogger("rose_ash.jobs")


@job_kind("jobs.prune", max_attempts=3, timeout=timedelta(minutes=5))
async def prune_finished(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings = JobSettings.from_env()
    async with ctx.sessions() as session, session.begin():
        count = await queue.prune(
            session,
            succeeded_for=timedelta(days=settings.keep_succeeded_days),
            dead_for=timedelta(days=settings.keep_dead_days),
        )
    log.info("pruned %d finished job(s)", count)


periodic("jobs.prune", every=timedelta(hours=1))

"""A periodic test kind, one tick a second (JOBS_KIND_MODULES=tests.infrastructure.jobs.ticking)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.infrastructure.jobs import JobContext, job_kind, periodic
from tests.infrastructure.jobs.kinds import note


@job_kind("test.tick", max_attempts=1)
async def ticked(ctx: JobContext, payload: dict[str, Any]) -> None:
    await note(ctx, payload, "ticked")


periodic("test.tick", every=timedelta(seconds=1))

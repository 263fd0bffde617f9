"""Scheduled posts go live by durable job: one per scheduled time, plus a minutely sweep.

Scheduling enqueues `blog.publish_scheduled` for the post's time in the same
transaction, so the job survives any restart (it is a row in PostgreSQL) and
runs as soon as a worker sees it due. The sweep publishes any scheduled post
whose time has passed without its job (a job that died, a post scheduled by
hand in SQL), so a post is never later than a minute. Publishing runs in a unit
of work with the process's handlers, so the Create to followers is written in
the same transaction as the status change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.jobs import job_kind, periodic
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.uow import UnitOfWork
from shared.services.blog.publishing import PUBLISH_KIND, due_post_ids, publish_due

SWEEP_KIND = "blog.publish_due_posts"


@asynccontextmanager
async def _unit_of_work(ctx: JobContext) -> AsyncIterator[UnitOfWork]:
    from shared.services.handlers import event_handlers  # the table imports the domains

    fragments = ctx.settings.fragments
    redis = Redis.from_url(ctx.settings.redis.cache, socket_connect_timeout=2, socket_timeout=2)
    cache = FragmentCache(
        redis,
        keep_stale=fragments.keep_stale,
        timeout=fragments.cache_timeout,
        cooldown=fragments.cooldown,
    )
    try:
        async with UnitOfWork(
            ctx.sessions(), handlers=event_handlers(), fragments=cache, owns_session=True
        ) as uow:
            yield uow
    finally:
        await redis.aclose()


@job_kind(PUBLISH_KIND, max_attempts=10, timeout=timedelta(seconds=60))
async def publish_scheduled(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with _unit_of_work(ctx) as uow:
        await publish_due(uow.session, int(payload["post_id"]), payload.get("at"))


@job_kind(SWEEP_KIND, max_attempts=3, timeout=timedelta(seconds=60))
async def publish_due_posts(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with _unit_of_work(ctx) as uow:
        for post_id in await due_post_ids(uow.session):
            await publish_due(uow.session, post_id, None)


periodic(SWEEP_KIND, every=timedelta(minutes=1))

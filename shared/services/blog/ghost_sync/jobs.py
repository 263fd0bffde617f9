"""The sync's job kinds: a webhook's refetch, a run (reconciliation every 5 minutes, or
staff's "Sync now"). Both are no-ops while GHOST_URL is unset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.ghost import GhostClient
from shared.infrastructure.jobs import JobContext, enqueue, job_kind, periodic
from shared.infrastructure.media import make_media_storage
from shared.infrastructure.uow import UnitOfWork
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.importer import Units, run_sync
from shared.services.blog.ghost_sync.runs import import_complete
from shared.services.blog.ghost_sync.upsert import (
    delete_tag,
    remove_post,
    upsert_post,
    upsert_tag,
)
from shared.services.blog.ghost_sync.webhooks import WEBHOOK_KIND

SYNC_KIND = "blog.ghost_sync"
SYNC_NOW_KEY = "ghost-sync-now"


@asynccontextmanager
async def job_units(ctx: JobContext) -> AsyncIterator[Units]:
    """Units of work for a job: events handled (federation) and fragments dropped."""
    from shared.services.handlers import event_handlers  # the table imports the domains

    fragments = ctx.settings.fragments
    redis = Redis.from_url(ctx.settings.redis.cache, socket_connect_timeout=2, socket_timeout=2)
    cache = FragmentCache(
        redis,
        keep_stale=fragments.keep_stale,
        timeout=fragments.cache_timeout,
        cooldown=fragments.cooldown,
    )
    handlers = event_handlers()
    try:
        yield lambda: UnitOfWork(
            ctx.sessions(), handlers=handlers, fragments=cache, owns_session=True
        )
    finally:
        await redis.aclose()


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[tuple[GhostClient, ImageImporter] | None]:
    """Ghost's client and the image copier, closed after; None while sync is off."""
    client = GhostClient.from_settings(settings)
    if client is None:
        yield None
        return
    images = ImageImporter(settings.ghost.url, make_media_storage(settings.media), settings.media)
    try:
        yield client, images
    finally:
        await images.aclose()
        await client.aclose()


async def queue_sync_now(session: AsyncSession) -> bool:
    """Staff's "Sync now": pressing again while one is queued adds nothing."""
    return await enqueue(session, SYNC_KIND, {"kind": "manual"}, key=SYNC_NOW_KEY) is not None


@job_kind(SYNC_KIND, max_attempts=3, timeout=timedelta(minutes=30))
async def sync_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with connected(ctx.settings) as parts:
        if parts is None:
            return
        client, images = parts
        async with job_units(ctx) as units:
            await run_sync(
                units,
                client,
                images,
                kind=str(payload.get("kind") or "reconcile"),
                full=bool(payload.get("full")),
            )


@job_kind(WEBHOOK_KIND, max_attempts=8, timeout=timedelta(minutes=2))
async def webhook_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    resource, ghost_id = str(payload["resource"]), str(payload["ghost_id"])
    async with connected(ctx.settings) as parts, job_units(ctx) as units:
        if parts is None:
            return
        client, images = parts
        if resource == "tag":
            tag = await client.read("tags", ghost_id, formats=None)
            async with units() as uow:
                session = uow.session
                if tag is None:
                    await delete_tag(session, ghost_id)
                else:
                    await upsert_tag(session, tag)
            return
        item = await client.read(f"{resource}s", ghost_id, include="tags,authors")
        async with units() as uow:
            session = uow.session
            federate = await import_complete(session)
            if item is None:
                await remove_post(session, ghost_id, federate=federate)
            else:
                await upsert_post(session, item, images, federate=federate, kind=resource)


periodic(SYNC_KIND, every=timedelta(minutes=5), payload={"kind": "reconcile"})

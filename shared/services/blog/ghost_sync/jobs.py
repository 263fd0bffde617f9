"""The sync's job kinds: a webhook's refetch, a run (reconciliation every 5 minutes, or
staff's "Sync now"). Both are no-ops while GHOST_URL is unset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.ghost import GhostClient
from shared.infrastructure.jobs import JobContext, enqueue, job_kind, periodic
from shared.infrastructure.media import make_media_storage
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.importer import run_sync
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
        await run_sync(
            ctx.sessions,
            client,
            images,
            kind=str(payload.get("kind") or "reconcile"),
            full=bool(payload.get("full")),
        )


@job_kind(WEBHOOK_KIND, max_attempts=8, timeout=timedelta(minutes=2))
async def webhook_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    resource, ghost_id = str(payload["resource"]), str(payload["ghost_id"])
    async with connected(ctx.settings) as parts:
        if parts is None:
            return
        client, images = parts
        if resource == "tag":
            tag = await client.read("tags", ghost_id, formats=None)
            async with ctx.sessions() as session, session.begin():
                if tag is None:
                    await delete_tag(session, ghost_id)
                else:
                    await upsert_tag(session, tag)
            return
        item = await client.read(f"{resource}s", ghost_id, include="tags,authors")
        async with ctx.sessions() as session, session.begin():
            federate = await import_complete(session)
            if item is None:
                await remove_post(session, ghost_id, federate=federate)
            else:
                await upsert_post(session, item, images, federate=federate, kind=resource)


periodic(SYNC_KIND, every=timedelta(minutes=5), payload={"kind": "reconcile"})

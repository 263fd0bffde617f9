"""Ghost sync against the Ghost stand-in over real HTTP, into the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dev.ghost import GhostStandIn
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.ghost import GhostClient
from shared.infrastructure.jobs import JobContext
from shared.infrastructure.media import FilesystemMediaStorage
from shared.infrastructure.uow import UnitOfWork
from shared.models.blog import Post
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.ghost_sync.importer import Units, run_sync
from shared.services.blog.ghost_sync.runs import Counts
from shared.services.handlers import event_handlers
from shared.services.registry import Services, wire_services
from tests.support.activitypub.fixtures import ap_settings, platform_key

__all__ = ["ap_settings", "platform_key"]


@pytest.fixture
def wired(ap_settings: Settings) -> Services:
    """The domains wired with a platform key: federation's handlers can run."""
    return wire_services(ap_settings)


@pytest.fixture
def units(sessions: async_sessionmaker[AsyncSession], redis: Redis) -> Units:
    """Units of work on the test's transaction, with the real event handlers."""
    cache = FragmentCache(redis, keep_stale=60, timeout=1.0)
    handlers = event_handlers()
    return lambda: UnitOfWork(sessions(), handlers=handlers, fragments=cache, owns_session=True)


@pytest.fixture
async def job_ctx(
    ap_settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Callable[[GhostStandIn], JobContext]]:
    """A job's context on the test's transaction, with Ghost's settings for `ghost`."""
    federation = FederationClient(ap_settings.activitypub)

    def make(ghost: GhostStandIn) -> JobContext:
        return JobContext(ghost_settings(ap_settings, ghost), sessions, federation, "test")

    yield make
    await federation.aclose()


def ghost_settings(settings: Settings, ghost: GhostStandIn) -> Settings:
    return settings.model_copy(
        update={
            "ghost": settings.ghost.model_copy(
                update={
                    "url": ghost.url,
                    "admin_key": ghost.admin_key,
                    "content_key": ghost.content_key,
                    "webhook_secret": ghost.webhook_secret,
                }
            )
        }
    )


async def sync(
    units: Units,
    ghost: GhostStandIn,
    settings: Settings,
    media: Path,
    *,
    kind: str = "import",
    full: bool = False,
) -> Counts:
    client = GhostClient(ghost.url, ghost.admin_key)
    images = ImageImporter(ghost.url, FilesystemMediaStorage(media, "/media"), settings.media)
    try:
        return await run_sync(units, client, images, kind=kind, full=full)
    finally:
        await images.aclose()
        await client.aclose()


async def count_from_ghost(session: AsyncSession, type_: str = "post") -> int:
    total = await session.scalar(
        select(func.count()).select_from(Post).where(Post.type == type_, Post.ghost_id.is_not(None))
    )
    return int(total or 0)

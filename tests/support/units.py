"""A unit of work with the process's real handler table, for tests that write through one."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services


def unit_of_work(session: AsyncSession, settings: Settings, redis: Redis) -> UnitOfWork:
    """What `Platform.unit_of_work(session)` builds: every handler, a real fragment cache.

    The services are wired with `settings`, since handlers reach them through the
    registry (the social domain needs our URLs and keys to make actors).
    """
    wire_services(settings)
    return UnitOfWork(
        session,
        handlers=event_handlers(),
        fragments=FragmentCache(redis, keep_stale=60, timeout=1.0),
    )

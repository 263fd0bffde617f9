"""The cart's durable jobs: expired holds released, pending payments reconciled.

Both run every minute in the worker (periodic). Each opens units of work with the
process's handler table, so the paid transition a reconciliation makes records
OrderPaid and drops the buyer's mini-cart just as a webhook's would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.jobs import JobContext, job_kind, periodic
from shared.infrastructure.sumup import SumUpClient
from shared.infrastructure.uow import UnitOfWork
from shared.services.cart import mails  # noqa: F401  (registers cart.send_mail)
from shared.services.cart.payments import Units, reconcile, release_expired
from shared.services.handlers import event_handlers

RELEASE_HOLDS = "cart.release_expired_holds"
RECONCILE = "cart.reconcile_payments"
# A checkout younger than this is still the buyer's to finish: its webhook is due.
RECONCILE_AFTER = timedelta(minutes=2)


@asynccontextmanager
async def job_units(ctx: JobContext) -> AsyncIterator[tuple[Units, SumUpClient, Settings]]:
    settings = ctx.settings
    redis = Redis.from_url(settings.redis.cache)
    fragments = FragmentCache(
        redis, keep_stale=settings.fragments.keep_stale, timeout=settings.fragments.cache_timeout
    )
    handlers = event_handlers()
    client = SumUpClient(settings.sumup)

    def units() -> UnitOfWork:
        return UnitOfWork(ctx.sessions(), handlers=handlers, fragments=fragments, owns_session=True)

    try:
        yield units, client, settings
    finally:
        await client.aclose()
        await redis.aclose()


@job_kind(RELEASE_HOLDS, max_attempts=3, timeout=timedelta(minutes=2))
async def release_expired_holds(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with job_units(ctx) as (units, client, settings):
        await release_expired(units, client, settings)


@job_kind(RECONCILE, max_attempts=3, timeout=timedelta(minutes=2))
async def reconcile_payments(ctx: JobContext, payload: dict[str, Any]) -> None:
    older = timedelta(seconds=float(payload.get("older_than_seconds", RECONCILE_AFTER.seconds)))
    async with job_units(ctx) as (units, client, settings):
        await reconcile(units, client, settings, older_than=older)


periodic(RELEASE_HOLDS, every=timedelta(minutes=1))
periodic(RECONCILE, every=timedelta(minutes=1))

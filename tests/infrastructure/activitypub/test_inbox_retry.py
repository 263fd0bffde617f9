"""An inbound activity that fails to process is retried by its durable job, not left
failed: storing it enqueues `activitypub.inbound`, and each run of that job processes
the stored row again until it is done."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.activitypub.inbox import (
    INBOUND_JOB,
    InboundNotProcessed,
    process_inbound_job,
    store_inbound,
)
from shared.infrastructure.activitypub.keys import generate_keypair
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.models.activitypub import Activity, ActivityState, Actor
from shared.models.jobs import Job
from shared.services.registry import wire_services
from tests.support.activitypub.standin import StandInServer


async def test_a_failed_inbound_activity_is_retried_by_its_job_until_it_is_done(
    db: AsyncSession, sessions: async_sessionmaker[AsyncSession], ap_settings: Settings
) -> None:
    wire_services(ap_settings)
    server = await StandInServer("127.0.0.96", verify=False).start()
    client = FederationClient(ap_settings.activitypub)
    try:
        key = generate_keypair()
        dora_id = f"{server.base_url}/users/dora"
        dora = Actor(
            ap_id=dora_id,
            kind="remote",
            preferred_username="dora",
            domain=dora_id.split("/")[2],
            inbox_url=f"{dora_id}/inbox",
            key_id=f"{dora_id}#main-key",
            public_key_pem=key.public_pem,
        )
        db.add(dora)
        await db.flush()
        # An actor's Update of itself is applied by fetching its document again; her
        # server does not serve it yet, so the first processing fails.
        update = {"id": f"{dora_id}#updates/1", "type": "Update", "actor": dora_id}
        row_id = await store_inbound(db, dora, None, {**update, "object": {"id": dora_id}})
        assert row_id is not None
        job = await db.scalar(select(Job).where(Job.key == f"ap-inbound:{row_id}"))
        assert job is not None and job.kind == INBOUND_JOB
        await db.commit()

        ctx = JobContext(ap_settings, sessions, client, "in-process")
        with pytest.raises(InboundNotProcessed):
            await process_inbound_job(ctx, {"activity_id": row_id})
        row = await db.get(Activity, row_id, populate_existing=True)
        assert row is not None and row.status == ActivityState.FAILED
        assert row.last_error and "dora" in row.last_error

        server.add_actor("dora", key)  # her server is back
        await process_inbound_job(ctx, {"activity_id": row_id})
        row = await db.get(Activity, row_id, populate_existing=True)
        assert row is not None and row.status == ActivityState.DONE and row.attempts == 2
        # Done is done: a late run of the same job changes nothing and succeeds.
        await process_inbound_job(ctx, {"activity_id": row_id})
        row = await db.get(Activity, row_id, populate_existing=True)
        assert row is not None and row.attempts == 2
    finally:
        await client.aclose()
        await server.stop()

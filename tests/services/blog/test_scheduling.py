"""The scheduled-publish job as a worker runs it, in a process that did not schedule it:
the job is a row, so a restart between scheduling and the time loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.blog import StaffMember
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.registry import kind
from shared.models.blog import Post
from shared.models.jobs import Job
from shared.services.blog.publishing import PUBLISH_KIND
from shared.services.blog.scheduling import SWEEP_KIND
from shared.services.registry import Services
from tests.services.blog.conftest import Unit, outbox
from tests.services.blog.test_editing import draft


@pytest.fixture
async def job_context(
    ap_settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[JobContext]:
    """What a worker hands a job: its own sessions and clients, not the scheduler's."""
    federation = FederationClient(ap_settings.activitypub)
    yield JobContext(ap_settings, sessions, federation, "test-worker")
    await federation.aclose()


async def test_the_job_publishes_the_post_at_its_time_and_federates_it(
    db: AsyncSession,
    wired: Services,
    unit: Unit,
    admin: StaffMember,
    job_context: JobContext,
) -> None:
    at = datetime.now(UTC) + timedelta(seconds=1)
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Soon"))
        await wired.blog.schedule_post(db, admin, post.id, at)
    job = await db.scalar(select(Job).where(Job.kind == PUBLISH_KIND))
    assert job is not None
    # The worker claims it only once due.
    await asyncio.sleep((at - datetime.now(UTC)).total_seconds() + 0.05)
    await kind(PUBLISH_KIND).handler(job_context, dict(job.payload))
    status = await db.scalar(
        select(Post.status).where(Post.id == post.id).execution_options(populate_existing=True)
    )
    assert status == "published"
    assert [a.type for a in await outbox(db)] == ["Create"]


async def test_the_sweep_publishes_a_due_post_whose_job_is_gone(
    db: AsyncSession,
    wired: Services,
    unit: Unit,
    admin: StaffMember,
    job_context: JobContext,
) -> None:
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Missed"))
        await wired.blog.schedule_post(db, admin, post.id, datetime.now(UTC) + timedelta(hours=1))
    await db.execute(Job.__table__.delete())
    await db.execute(
        Post.__table__.update()
        .where(Post.id == post.id)
        .values(published_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await kind(SWEEP_KIND).handler(job_context, {})
    status = await db.scalar(
        select(Post.status).where(Post.id == post.id).execution_options(populate_existing=True)
    )
    assert status == "published"
    assert [a.type for a in await outbox(db)] == ["Create"]

"""Publish and send: the choice is kept on the post and its issue is queued in the
transaction that makes it live, so a scheduled post is emailed when its job publishes it,
and a post reaches a newsletter once however often it is republished."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.blog import PostError, StaffMember
from shared.infrastructure.activitypub.http import FederationClient
from shared.infrastructure.config import Settings
from shared.infrastructure.jobs.context import JobContext
from shared.infrastructure.jobs.registry import kind
from shared.models.jobs import Job
from shared.models.newsletters import Newsletter, NewsletterSend
from shared.services.blog.publishing import PUBLISH_KIND
from shared.services.newsletters.delivery import SEND_JOB
from shared.services.registry import Services
from tests.services.blog.conftest import Unit
from tests.services.blog.test_editing import draft


@pytest.fixture
async def job_context(
    ap_settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[JobContext]:
    federation = FederationClient(ap_settings.activitypub)
    yield JobContext(ap_settings, sessions, federation, "test-worker")
    await federation.aclose()


async def newsletter(db: AsyncSession, slug: str, *, active: bool = True) -> int:
    row = Newsletter(slug=slug, name=slug.title(), is_active=active)
    db.add(row)
    await db.flush()
    return row.id


async def sends(db: AsyncSession) -> list[tuple[int, int | None, str]]:
    rows = await db.execute(
        select(NewsletterSend.newsletter_id, NewsletterSend.post_id, NewsletterSend.subject)
        .order_by(NewsletterSend.id)
        .execution_options(populate_existing=True)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def send_jobs(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(Job).where(Job.kind == SEND_JOB)) or 0


async def test_publishing_with_a_newsletter_queues_its_issue_once_however_often_republished(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    weekly = await newsletter(db, "weekly")
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Seed swap"))
        await wired.blog.publish_post_as(db, admin, post.id, newsletter_id=weekly)
    assert await sends(db) == [(weekly, post.id, "Seed swap")]
    assert await send_jobs(db) == 1
    async with unit():
        await wired.blog.unpublish_post(db, admin, post.id)
    async with unit():
        await wired.blog.publish_post_as(db, admin, post.id, newsletter_id=weekly)
    assert await sends(db) == [(weekly, post.id, "Seed swap")]
    assert await send_jobs(db) == 1


async def test_publishing_without_a_choice_mails_nobody(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    await newsletter(db, "weekly")
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Quiet"))
        await wired.blog.publish_post_as(db, admin, post.id)
    assert await sends(db) == []


async def test_a_scheduled_post_is_emailed_when_its_job_publishes_it(
    db: AsyncSession,
    wired: Services,
    unit: Unit,
    admin: StaffMember,
    job_context: JobContext,
) -> None:
    weekly = await newsletter(db, "weekly")
    at = datetime.now(UTC) + timedelta(seconds=1)
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Soon"))
        await wired.blog.schedule_post(db, admin, post.id, at, newsletter_id=weekly)
    assert await sends(db) == []  # nothing mailed before it is live
    job = await db.scalar(select(Job).where(Job.kind == PUBLISH_KIND))
    assert job is not None
    await asyncio.sleep((at - datetime.now(UTC)).total_seconds() + 0.05)
    await kind(PUBLISH_KIND).handler(job_context, dict(job.payload))
    assert await sends(db) == [(weekly, post.id, "Soon")]


async def test_a_newsletter_retired_before_a_scheduled_post_goes_live_does_not_stop_it(
    db: AsyncSession,
    wired: Services,
    unit: Unit,
    admin: StaffMember,
    job_context: JobContext,
) -> None:
    weekly = await newsletter(db, "weekly")
    at = datetime.now(UTC) + timedelta(seconds=1)
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Later"))
        await wired.blog.schedule_post(db, admin, post.id, at, newsletter_id=weekly)
    await db.execute(Newsletter.__table__.update().values(is_active=False))
    job = await db.scalar(select(Job).where(Job.kind == PUBLISH_KIND))
    assert job is not None
    await asyncio.sleep((at - datetime.now(UTC)).total_seconds() + 0.05)
    await kind(PUBLISH_KIND).handler(job_context, dict(job.payload))
    published = await wired.blog.get_staff_post(db, admin, post.id)
    assert published is not None and published.status == "published"
    assert await sends(db) == []


async def test_an_unknown_or_retired_newsletter_and_a_page_are_refused_naming_the_field(
    db: AsyncSession, wired: Services, unit: Unit, admin: StaffMember
) -> None:
    retired = await newsletter(db, "old", active=False)
    weekly = await newsletter(db, "weekly")
    async with unit():
        post = await wired.blog.create_post(db, admin, draft("Choice"))
        page = await wired.blog.create_post(db, admin, draft("About", type="page"))
    for post_id, newsletter_id, message in (
        (post.id, retired, "Choose one of the newsletters listed."),
        (post.id, 999_999, "Choose one of the newsletters listed."),
        (page.id, weekly, "Pages are not emailed"),
    ):
        with pytest.raises(PostError) as refused:
            async with unit():
                await wired.blog.publish_post_as(db, admin, post_id, newsletter_id=newsletter_id)
        assert refused.value.field == "newsletter_id" and message in refused.value.message
    assert await sends(db) == []
    still = await wired.blog.get_staff_post(db, admin, post.id)
    assert still is not None and still.status == "draft"

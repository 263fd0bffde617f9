"""Publishing: now, at a time (a durable job), back to draft, and deleting; each records
the event whose handler federates it (Create, Update, Delete) in the same unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import (
    PostError,
    PostForbidden,
    StaffMember,
    StaffPost,
)
from shared.contracts.dtos import PostSummary
from shared.contracts.events import PostDeleted, PostPublished, PostUpdated, record
from shared.infrastructure.jobs import enqueue
from shared.models.blog import (
    Post,
    PostStatus,
    StaffRole,
)
from shared.services.blog.reading import post_summary
from shared.services.blog.records import loaded, staff_post, withdrawn
from shared.services.blog.staff import (
    check_can_change,
    check_can_publish,
    owns,
)
from shared.services.federating import fresh
from shared.services.registry import services

PUBLISH_KIND = "blog.publish_scheduled"


class SqlBlogPublishing:
    async def publish_post(self, session: AsyncSession, post_id: int) -> PostSummary | None:
        post = await fresh(session, Post, post_id)
        if post is None:
            return None
        post.status = PostStatus.PUBLISHED
        post.published_at = post.published_at or datetime.now(UTC)
        await session.flush()
        record(session, PostPublished(post.id))
        return post_summary(post)

    async def update_post(
        self,
        session: AsyncSession,
        post_id: int,
        *,
        title: str | None = None,
        html: str | None = None,
        excerpt: str | None = None,
    ) -> PostSummary | None:
        post = await fresh(session, Post, post_id)
        if post is None:
            return None
        post.title = title if title is not None else post.title
        post.html = html if html is not None else post.html
        post.excerpt = excerpt if excerpt is not None else post.excerpt
        await session.flush()
        record(session, PostUpdated(post.id))
        return post_summary(post) if post.status == PostStatus.PUBLISHED else None

    async def delete_post(self, session: AsyncSession, post_id: int) -> bool:
        post = await fresh(session, Post, post_id)
        if post is None:
            return False
        deleted = PostDeleted(
            post_id=post.id,
            uuid=str(post.uuid),
            type=post.type,
            slug=post.slug,
            title=post.title,
            published_at=post.published_at,
        )
        await session.delete(post)
        await session.flush()
        record(session, deleted)
        return True

    async def publish_post_as(
        self,
        session: AsyncSession,
        staff: StaffMember,
        post_id: int,
        *,
        newsletter_id: int | None = None,
    ) -> StaffPost | None:
        """Publish now (PostPublished: Create to followers, and the newsletter's issue
        queued by its handler). None when unknown."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        await _choose_newsletter(session, post, newsletter_id)
        if post.status != PostStatus.PUBLISHED:
            post.status = PostStatus.PUBLISHED
            post.published_at = datetime.now(UTC)
            await session.flush()
            record(session, PostPublished(post.id))
        return staff_post(post)

    async def schedule_post(
        self,
        session: AsyncSession,
        staff: StaffMember,
        post_id: int,
        at: datetime,
        *,
        newsletter_id: int | None = None,
    ) -> StaffPost | None:
        """Schedule publication at `at` (aware, in the future): a durable job publishes it
        then, whatever restarts happen meanwhile, and it is emailed to `newsletter_id` then.
        None when unknown."""
        if at.tzinfo is None:
            raise PostError("publish_at", "The time needs a time zone.")
        if at <= datetime.now(UTC):
            raise PostError("publish_at", "Choose a time in the future, or publish now.")
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        if post.status == PostStatus.PUBLISHED:
            raise PostError("publish_at", "The post is published already; unpublish it first.")
        await _choose_newsletter(session, post, newsletter_id)
        post.status = PostStatus.SCHEDULED
        post.published_at = at
        await session.flush()
        payload = {"post_id": post.id, "at": at.isoformat()}
        await enqueue(session, PUBLISH_KIND, payload, run_at=at, key=f"post-{post.id}-{at}")
        return staff_post(post)

    async def post_newsletter_id(self, session: AsyncSession, post_id: int) -> int | None:
        found: int | None = await session.scalar(
            select(Post.newsletter_id).where(Post.id == post_id)
        )
        return found

    async def unpublish_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Back to draft (a scheduled post stops being scheduled); a published one records
        PostUnpublished (a Delete to followers). None when unknown."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_publish(staff, post)
        if post.status == PostStatus.PUBLISHED:
            record(session, withdrawn(post))
        post.status = PostStatus.DRAFT
        await session.flush()
        return staff_post(post)

    async def delete_post_as(self, session: AsyncSession, staff: StaffMember, post_id: int) -> bool:
        """Delete (contributors: their own drafts only). False when unknown."""
        post = await loaded(session, post_id)
        if post is None:
            return False
        if staff.role == StaffRole.CONTRIBUTOR and (
            post.status != PostStatus.DRAFT or not owns(staff, post)
        ):
            raise PostForbidden("Contributors delete only their own drafts.")
        check_can_change(staff, post)
        return await self.delete_post(session, post_id)

    async def detach_post(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> StaffPost | None:
        """Take a post over from Ghost (editors and administrators): editable here from
        now on, and Ghost sync leaves it alone. None when unknown."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        if not staff.edits_everyone:
            raise PostForbidden("Only editors and administrators detach a post from Ghost.")
        if post.ghost_id is None:
            raise PostError("ghost", "This post did not come from Ghost.")
        post.ghost_detached = True
        await session.flush()
        return staff_post(post)


async def _choose_newsletter(session: AsyncSession, post: Post, newsletter_id: int | None) -> None:
    """Keep the publisher's choice on the post, as Ghost does, so that whichever path makes
    it live (now, the scheduler's job) emails it once through PostPublished's handler."""
    if newsletter_id is not None:
        if post.type != "post":
            raise PostError("newsletter_id", "Pages are not emailed; only posts are.")
        newsletter = await services.newsletters.get_newsletter(session, newsletter_id)
        if newsletter is None or not newsletter.is_active:
            raise PostError("newsletter_id", "Choose one of the newsletters listed.")
    post.newsletter_id = newsletter_id


async def publish_due(session: AsyncSession, post_id: int, at: str | None) -> bool:
    """Publish a scheduled post whose time has come (the job's work). A post that was
    unpublished or rescheduled since (`at` no longer its time) is left alone."""
    post = await loaded(session, post_id)
    if post is None or post.status != PostStatus.SCHEDULED or post.published_at is None:
        return False
    if at is not None and datetime.fromisoformat(at) != post.published_at:
        return False
    if post.published_at > datetime.now(UTC):
        return False
    post.status = PostStatus.PUBLISHED
    await session.flush()
    record(session, PostPublished(post.id))
    return True


async def due_post_ids(session: AsyncSession) -> list[int]:
    """Scheduled posts whose time has passed (the minutely sweep's catch-up)."""
    rows = await session.scalars(
        select(Post.id).where(
            Post.status == PostStatus.SCHEDULED, Post.published_at <= datetime.now(UTC)
        )
    )
    return list(rows)

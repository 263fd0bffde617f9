"""Revisions: each changed save keeps one; the history lists them; restoring one is a
new revision itself (nothing is ever rewritten)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import (
    RevisionRecord,
    StaffMember,
    StaffPost,
)
from shared.contracts.events import PostUpdated, record
from shared.models.blog import (
    Post,
    PostRevision,
    PostStatus,
)
from shared.services.blog.records import loaded, staff_post
from shared.services.blog.rendering import render_doc
from shared.services.blog.staff import (
    check_can_change,
    check_can_edit,
)


def revision_record(revision: PostRevision) -> RevisionRecord:
    return RevisionRecord(
        id=revision.id,
        post_id=revision.post_id,
        title=revision.title,
        excerpt=revision.excerpt,
        html=revision.html,
        doc=revision.doc,
        reason=revision.reason,
        created_at=revision.created_at,
        created_by_id=revision.created_by_id,
    )


async def keep_revision(session: AsyncSession, post: Post, staff: StaffMember, reason: str) -> None:
    """A revision of what the post says now, unless the last one says the same."""
    last = await session.scalar(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.id.desc())
        .limit(1)
    )
    same = last is not None and (last.title, last.doc, last.excerpt) == (
        post.title,
        post.doc,
        post.excerpt,
    )
    if not same or reason == "restore":
        session.add(
            PostRevision(
                post_id=post.id,
                title=post.title,
                doc=post.doc,
                html=post.html,
                excerpt=post.excerpt,
                reason=reason,
                created_by_id=staff.user_id,
            )
        )


class SqlBlogRevisions:
    async def list_revisions(
        self, session: AsyncSession, staff: StaffMember, post_id: int
    ) -> list[RevisionRecord] | None:
        """The post's revisions, newest first; None when there is no such post."""
        post = await loaded(session, post_id)
        if post is None:
            return None
        check_can_edit(staff, post)
        revisions = await session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.id.desc())
        )
        return [revision_record(r) for r in revisions]

    async def restore_revision(
        self, session: AsyncSession, staff: StaffMember, post_id: int, revision_id: int
    ) -> StaffPost | None:
        """Make the post say what the revision said; that is a new revision itself.
        None when the post or that revision of it is unknown."""
        post = await loaded(session, post_id)
        revision = await session.get(PostRevision, revision_id)
        if post is None or revision is None or revision.post_id != post_id:
            return None
        check_can_change(staff, post)
        rendered = render_doc(revision.doc)
        post.title, post.doc, post.excerpt = revision.title, revision.doc, revision.excerpt
        post.html, post.plaintext = rendered.html, rendered.plaintext
        await session.flush()
        await keep_revision(session, post, staff, "restore")
        if post.status == PostStatus.PUBLISHED:
            record(session, PostUpdated(post.id))
        await session.flush()
        return staff_post(post)

"""Blog: published posts as lists show them, and publishing, editing and deleting posts.

Writes record the blog's events (`PostPublished`, `PostUpdated`, `PostDeleted`);
how a post federates is their handler's business (blog_federation.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import PostRecord, PostSummary, TagRecord
from shared.contracts.events import PostDeleted, PostPublished, PostUpdated, record
from shared.infrastructure.html import sanitize_html
from shared.models.blog import Post, PostStatus, PostType, PostVisibility, Tag
from shared.services.federating import fresh
from shared.services.navigation import SqlBlogNavigation


def post_summary(post: Post) -> PostSummary:
    assert post.published_at is not None  # guaranteed by the status check constraint
    return PostSummary(
        id=post.id,
        slug=post.slug,
        title=post.title,
        excerpt=post.excerpt,
        feature_image=post.feature_image,
        author_name=post.author.name if post.author else None,
        published_at=post.published_at,
        tags=tuple(tag.name for tag in post.tags),
    )


class SqlBlogService(SqlBlogNavigation):
    async def get_published_post(self, session: AsyncSession, slug: str) -> PostRecord | None:
        post = await session.scalar(
            select(Post)
            .where(
                Post.slug == slug,
                Post.status == PostStatus.PUBLISHED,
                Post.visibility == PostVisibility.PUBLIC,
            )
            .order_by(Post.type.desc())  # "post" > "page": a post wins a tie of slugs
            .limit(1)
        )
        if post is None:
            return None
        summary = post_summary(post)
        return PostRecord(
            id=post.id,
            type=post.type,
            slug=post.slug,
            title=post.title,
            html=sanitize_html(post.html),
            excerpt=post.excerpt,
            feature_image=post.feature_image,
            author_name=summary.author_name,
            published_at=summary.published_at,
            tags=summary.tags,
        )

    async def list_published_posts(
        self,
        session: AsyncSession,
        *,
        limit: int = 20,
        offset: int = 0,
        tag_slug: str | None = None,
    ) -> list[PostSummary]:
        query = select(Post).where(
            Post.type == PostType.POST,
            Post.status == PostStatus.PUBLISHED,
            Post.visibility == PostVisibility.PUBLIC,
        )
        if tag_slug is not None:
            query = query.where(Post.tags.any(Tag.slug == tag_slug))
        posts = await session.scalars(
            query.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit).offset(offset)
        )
        return [post_summary(post) for post in posts]

    async def get_tag(self, session: AsyncSession, slug: str) -> TagRecord | None:
        tag = await session.scalar(select(Tag).where(Tag.slug == slug))
        return TagRecord(slug=tag.slug, name=tag.name, description=tag.description) if tag else None

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

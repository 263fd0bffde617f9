"""What the blog knows of one member for their data export: the posts they wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.blog import Author, Post, PostAuthor


class SqlBlogMemberData:
    async def export_member_posts(
        self, session: AsyncSession, user_id: int
    ) -> list[dict[str, Any]]:
        """Posts and pages with the member among their authors, or made by them."""
        by_byline = (
            select(PostAuthor.post_id)
            .join(Author, Author.id == PostAuthor.author_id)
            .where(Author.user_id == user_id)
        )
        posts = await session.scalars(
            select(Post)
            .where(or_(Post.id.in_(by_byline), Post.created_by_id == user_id))
            .order_by(Post.id)
        )
        return [
            {
                "type": post.type,
                "title": post.title,
                "slug": post.slug,
                "status": post.status,
                "published_at": post.published_at.isoformat() if post.published_at else None,
                "html": post.html,
            }
            for post in posts
        ]

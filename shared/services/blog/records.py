"""How the blog's staff-side rows become DTOs, and the loads every writer shares."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import (
    AuthorRecord,
    StaffPost,
)
from shared.contracts.events import PostUnpublished
from shared.models.blog import (
    Author,
    Post,
)
from shared.services.federating import fresh


def author_record(author: Author) -> AuthorRecord:
    return AuthorRecord(
        id=author.id,
        slug=author.slug,
        name=author.name,
        bio=author.bio,
        profile_image=author.profile_image,
    )


def staff_post(post: Post) -> StaffPost:
    return StaffPost(
        id=post.id,
        uuid=str(post.uuid),
        type=post.type,
        slug=post.slug,
        title=post.title,
        status=post.status,
        visibility=post.visibility,
        featured=post.featured,
        excerpt=post.excerpt,
        html=post.html,
        doc=post.doc,
        feature_image=post.feature_image,
        published_at=post.published_at,
        updated_at=post.updated_at,
        created_by_id=post.created_by_id,
        authors=tuple(author_record(a) for a in post.authors),
        tags=tuple(tag.name for tag in post.tags),
        newsletter_id=post.newsletter_id,
        ghost_id=post.ghost_id if not post.ghost_detached else None,
    )


async def loaded(session: AsyncSession, post_id: int) -> Post | None:
    return await fresh(session, Post, post_id)


def withdrawn(post: Post) -> PostUnpublished:
    return PostUnpublished(
        post_id=post.id,
        uuid=str(post.uuid),
        type=post.type,
        slug=post.slug,
        title=post.title,
        published_at=post.published_at,
    )

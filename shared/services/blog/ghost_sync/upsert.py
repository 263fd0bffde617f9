"""One Ghost object into our tables, keyed by its Ghost id: re-running changes nothing,
and an older version (an out-of-order webhook) never replaces a newer one.

Federation follows the local path: a post that goes live records `PostPublished`, an
edit of a live one `PostUpdated`, one withdrawn `PostUnpublished`, one gone `PostDeleted`
(the handlers in shared/services/handlers.py turn them into Create/Update/Delete). The
first complete import passes `federate=False`: old posts must not flood followers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import nh3
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import PostDeleted, PostPublished, PostUpdated, record
from shared.infrastructure.html import sanitize_post_html
from shared.models.blog import (
    Author,
    Post,
    PostAuthor,
    PostStatus,
    PostTag,
    PostVisibility,
    Tag,
)
from shared.services.blog.ghost_sync.images import ImageImporter
from shared.services.blog.records import withdrawn
from shared.services.blog.slugs import choose_slug

Outcome = Literal["created", "updated", "unchanged", "skipped", "deleted"]
_VISIBILITIES = {v.value for v in PostVisibility}


def ghost_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


async def upsert_tag(session: AsyncSession, item: dict[str, Any]) -> Tag:
    tag = await session.scalar(select(Tag).where(Tag.ghost_id == item["id"]))
    if tag is None:
        # A local tag of the same slug becomes Ghost's: one tag page, not two.
        tag = await session.scalar(select(Tag).where(Tag.slug == item["slug"]))
        if tag is None:
            tag = Tag(slug=item["slug"], name=item["name"])
            session.add(tag)
    tag.ghost_id = item["id"]
    tag.slug, tag.name = item["slug"], item["name"]
    tag.description = item.get("description") or ""
    await session.flush()
    return tag


async def delete_tag(session: AsyncSession, ghost_id: str) -> bool:
    result = await session.execute(delete(Tag).where(Tag.ghost_id == ghost_id))
    return bool(getattr(result, "rowcount", 0))


async def upsert_author(
    session: AsyncSession, item: dict[str, Any], images: ImageImporter | None
) -> Author:
    author = await session.scalar(select(Author).where(Author.ghost_id == item["id"]))
    if author is None:
        author = await session.scalar(select(Author).where(Author.slug == item["slug"]))
        if author is None:
            author = Author(slug=item["slug"], name=item["name"])
            session.add(author)
    author.ghost_id = item["id"]
    author.slug, author.name = item["slug"], item["name"]
    author.bio = item.get("bio") or ""
    picture = item.get("profile_image")
    if images is not None and picture and picture != author.profile_image:
        picture = await images.copy(picture)
    author.profile_image = picture
    await session.flush()
    return author


async def _slug_for(session: AsyncSession, post: Post | None, item: dict[str, Any]) -> str:
    slug = item["slug"]
    type_ = item.get("type") or "post"
    taken = await session.scalar(
        select(Post.id).where(Post.type == type_, Post.slug == slug, Post.ghost_id != item["id"])
    )
    if taken is None:
        return str(slug)
    # A local post holds the slug: Ghost's gets a free one rather than failing the page.
    return await choose_slug(
        session, typed="", title=item["title"], post_id=post.id if post else None
    )


async def upsert_post(
    session: AsyncSession,
    item: dict[str, Any],
    images: ImageImporter | None,
    *,
    federate: bool,
    kind: str = "post",
) -> Outcome:
    """Create or update our copy of Ghost's post or page `item` (Admin API shape, with
    tags and authors included)."""
    post = await session.scalar(select(Post).where(Post.ghost_id == item["id"]))
    if post is not None and post.ghost_detached:
        return "skipped"
    updated_at = ghost_time(item.get("updated_at"))
    if post is not None and post.ghost_updated_at and updated_at:  # noqa: SIM102
        # Never back in time: an older delivery, or the same version again.
        if updated_at <= post.ghost_updated_at:
            return "unchanged"
    live = item.get("status") == "published"
    was_live = post is not None and post.status == PostStatus.PUBLISHED
    html = item.get("html") or ""
    feature = item.get("feature_image")
    if images is not None:
        html = await images.rewrite(html)
        feature = await images.copy(feature)
    created = post is None
    slug = await _slug_for(session, post, item)
    if post is None:
        post = Post(ghost_id=item["id"], type=item.get("type") or kind, slug=slug)
        session.add(post)
    post.slug = slug
    post.title = (item.get("title") or "")[:255]
    post.html = sanitize_post_html(html)
    post.doc = None  # Ghost owns the body: our editor's document does not apply
    post.plaintext = nh3.clean(post.html, tags=set()).strip()
    post.excerpt = item.get("custom_excerpt") or item.get("excerpt") or ""
    visibility = item.get("visibility") or "public"
    post.visibility = visibility if visibility in _VISIBILITIES else PostVisibility.PAID
    post.feature_image = feature
    post.featured = bool(item.get("featured"))
    post.status = PostStatus.PUBLISHED if live else PostStatus.DRAFT
    post.published_at = ghost_time(item.get("published_at")) or (
        post.published_at if live else None
    )
    if live and post.published_at is None:
        post.published_at = updated_at
    post.ghost_updated_at = updated_at
    await session.flush()
    await _set_links(session, post, item, images)
    if federate:
        if live and not was_live:
            record(session, PostPublished(post.id))
        elif live:
            record(session, PostUpdated(post.id))
        elif was_live:
            record(session, withdrawn(post))
    return "created" if created else "updated"


async def _set_links(
    session: AsyncSession, post: Post, item: dict[str, Any], images: ImageImporter | None
) -> None:
    tags = [await upsert_tag(session, t) for t in item.get("tags") or []]
    authors = [await upsert_author(session, a, images) for a in item.get("authors") or []]
    await session.execute(delete(PostTag).where(PostTag.post_id == post.id))
    await session.execute(delete(PostAuthor).where(PostAuthor.post_id == post.id))
    tag_ids = list(dict.fromkeys(t.id for t in tags))
    author_ids = list(dict.fromkeys(a.id for a in authors))
    if tag_ids:
        await session.execute(
            insert(PostTag),
            [{"post_id": post.id, "tag_id": t, "position": i} for i, t in enumerate(tag_ids)],
        )
    if author_ids:
        await session.execute(
            insert(PostAuthor),
            [{"post_id": post.id, "author_id": a, "position": i} for i, a in enumerate(author_ids)],
        )
    post.author_id = author_ids[0] if author_ids else None
    await session.flush()
    session.expire(post, ["tags", "authors", "author"])


async def remove_post(session: AsyncSession, ghost_id: str, *, federate: bool) -> bool:
    """Ghost deleted (or no longer has) the post: ours goes too, unless detached."""
    post = await session.scalar(select(Post).where(Post.ghost_id == ghost_id))
    if post is None or post.ghost_detached:
        return False
    if federate and post.status == PostStatus.PUBLISHED:
        record(
            session,
            PostDeleted(
                post_id=post.id,
                uuid=str(post.uuid),
                type=post.type,
                slug=post.slug,
                title=post.title,
                published_at=post.published_at,
            ),
        )
    await session.delete(post)
    await session.flush()
    return True

"""How the blog federates: a public post is an Article from the blog's actor.

Handlers of the blog's events, run inside the unit of work (the outbox row is
written in the same transaction as the change). Pages and members-only posts
never federate. Human pages live at `/<slug>/`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts.dtos import FederatedObject
from shared.contracts.events import (
    EventContext,
    PostDeleted,
    PostPublished,
    PostUnpublished,
    PostUpdated,
)
from shared.models.blog import Post, PostStatus, PostType, PostVisibility
from shared.services.federating import federate, federation, fresh, plain_text


def article_of(post: Post) -> FederatedObject:
    assert post.published_at is not None
    return FederatedObject(
        app="blog",
        key=f"posts/{post.uuid}",
        type="Article",
        name=post.title,
        summary=plain_text(post.excerpt or post.html),
        content_html=post.html,
        path=f"/{post.slug}/",
        published_at=post.published_at,
        updated_at=datetime.now(UTC),
        tags=tuple(tag.name for tag in post.tags),
        image_url=post.feature_image,
    )


def _federates(post: Post) -> bool:
    return (
        post.status == PostStatus.PUBLISHED
        and post.type == PostType.POST
        and post.visibility == PostVisibility.PUBLIC
    )


async def federate_published_post(event: PostPublished, ctx: EventContext) -> None:
    """Create the Article the first time a public post is published, Update it after."""
    post = await fresh(ctx.session, Post, event.post_id)
    if post is not None and _federates(post):
        await federate(ctx.session, article_of(post))


async def federate_updated_post(event: PostUpdated, ctx: EventContext) -> None:
    """Update the Article of a post that was federated; a never-federated post stays local."""
    post = await fresh(ctx.session, Post, event.post_id)
    if post is None or not _federates(post):
        return
    if await federation().is_published(ctx.session, "blog", f"posts/{post.uuid}"):
        await federation().publish(ctx.session, article_of(post), "Update")


async def federate_deleted_post(event: PostDeleted | PostUnpublished, ctx: EventContext) -> None:
    """Delete the Article of a federated post that was deleted, unpublished or made
    members-only (a Tombstone stays at its id; publishing again sends a new Create)."""
    key = f"posts/{event.uuid}"
    if event.published_at is None or not await federation().is_published(ctx.session, "blog", key):
        return
    tombstone = FederatedObject(
        app="blog",
        key=key,
        type="Article",
        name=event.title,
        content_html="",  # what was deleted is not kept in the object row either
        path=f"/{event.slug}/",
        published_at=event.published_at,
        updated_at=datetime.now(UTC),
    )
    await federation().publish(ctx.session, tombstone, "Delete")

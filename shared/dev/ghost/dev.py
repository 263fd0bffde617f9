"""`make dev`'s Ghost: the stand-in with demo content, wired to the blog as a real Ghost is.

The blog's webhook URLs are subscribed through the stand-in's Admin API with our own
client, so the dev loop exercises the same calls an operator's setup would make.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from shared.dev.ghost.server import GhostStandIn
from shared.infrastructure.ghost import GhostClient

DEV_POSTS = 40
# What the blog listens for (issue 13): one target URL per event, as Ghost advises.
WEBHOOK_EVENTS = (
    "post.published",
    "post.published.edited",
    "post.unpublished",
    "post.deleted",
    "page.published",
    "page.published.edited",
    "page.unpublished",
    "page.deleted",
    "tag.added",
    "tag.edited",
    "tag.deleted",
)


def webhook_url(blog_url: str, event: str) -> str:
    return f"{blog_url.rstrip('/')}/webhooks/ghost/{event}"


async def subscribe_blog(client: GhostClient, blog_url: str, secret: str) -> list[str]:
    """Subscribe every event the blog handles; returns the webhook ids Ghost gave."""
    hooks = [
        await client.create_webhook(event, webhook_url(blog_url, event), secret)
        for event in WEBHOOK_EVENTS
    ]
    return [str(hook["id"]) for hook in hooks]


def start_for_dev(
    blog_url: str, *, on_event: Callable[[str], None] | None = None, posts: int = DEV_POSTS
) -> tuple[GhostStandIn, dict[str, str]]:
    """Start the stand-in, subscribe the blog at `blog_url`, and return the env to pass on."""
    ghost = GhostStandIn(posts=posts, pages=2, drafts=2, on_event=on_event).start()

    async def subscribe() -> None:
        async with GhostClient(ghost.url, ghost.admin_key, ghost.content_key) as client:
            await subscribe_blog(client, blog_url, ghost.webhook_secret)

    try:
        asyncio.run(subscribe())
    except BaseException:
        ghost.stop()
        raise
    env = {
        "GHOST_URL": ghost.url,
        "GHOST_ADMIN_KEY": ghost.admin_key,
        "GHOST_CONTENT_KEY": ghost.content_key,
        "GHOST_WEBHOOK_SECRET": ghost.webhook_secret,
    }
    return ghost, env

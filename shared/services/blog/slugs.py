"""Slugs: made from the title, unique across posts and pages, never a reserved path.

Posts and pages share the site's root (`/<slug>/`), so a slug is unique across
both types. A typed slug that is taken or reserved is refused with a message;
one made from the title gets a `-2`, `-3`, ... suffix instead.
"""

from __future__ import annotations

import re

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.blog import PostError
from shared.models.blog import Post

MAX_SLUG = 191
# Paths the platform routes itself on the blog's host (ActivityPub, feeds, admin,
# auth, assets, well-known documents) and Ghost's own prefixes.
RESERVED = frozenset(
    {
        "actor", "inbox", "outbox", "users", "objects", "activities", "followers", "following",
        "tag", "tags", "author", "authors", "admin", "feed", "feeds", "rss", "atom", "search",
        "auth", "static", "media", "internal", "healthz", "readyz", "well-known", ".well-known",
        "sitemap.xml", "robots.txt", "favicon.ico", "nodeinfo", "page", "p", "ghost",
        "members", "api", "preview", "editor", "login", "logout",
    }
)  # fmt: skip
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug_from_title(title: str) -> str:
    return slugify(title, max_length=MAX_SLUG - 4, word_boundary=True) or "untitled"


async def _taken(session: AsyncSession, slug: str, post_id: int | None) -> bool:
    query = select(Post.id).where(Post.slug == slug)
    if post_id is not None:
        query = query.where(Post.id != post_id)
    return await session.scalar(query.limit(1)) is not None


async def choose_slug(
    session: AsyncSession, *, typed: str, title: str, post_id: int | None = None
) -> str:
    """The slug a post gets: `typed` when given (refused if malformed, reserved or
    taken), otherwise one made from the title, suffixed until it is free."""
    typed = typed.strip().strip("/").lower()
    if typed:
        if len(typed) > MAX_SLUG or not _SLUG_RE.match(typed):
            raise PostError(
                "slug", "A slug is lowercase letters, digits and single hyphens (up to 191)."
            )
        if typed in RESERVED:
            raise PostError("slug", f"“{typed}” is a reserved path of the site; choose another.")
        if await _taken(session, typed, post_id):
            raise PostError("slug", f"Another post or page already uses the slug “{typed}”.")
        return typed
    base = slug_from_title(title)
    candidate, n = base, 1
    while candidate in RESERVED or await _taken(session, candidate, post_id):
        n += 1
        candidate = f"{base}-{n}"
    return candidate

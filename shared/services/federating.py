"""What every domain's "how I federate" mapping shares: plain text and the outbox write.

Each domain keeps its mapping beside its service (`blog_federation.py`,
`market_federation.py`, `events_federation.py`) as handlers of its own events
that run inside the unit of work, so the outbox row commits or rolls back
with the change it announces. They reach ActivityPub through the registry,
never by import, so no domain module imports another.
"""

from __future__ import annotations

import html as html_lib
from typing import TypeVar

import nh3
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import FederatedObject
from shared.contracts.protocols import SocialService
from shared.models.blog import Post
from shared.models.events import Event
from shared.models.market import Product

SUMMARY_LENGTH = 500
M = TypeVar("M", Post, Product, Event)


def plain_text(html: str, limit: int = SUMMARY_LENGTH) -> str:
    """The text of some HTML, whitespace collapsed, cut at a word near `limit`."""
    text = " ".join(html_lib.unescape(nh3.clean(html, tags=set())).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


async def fresh(session: AsyncSession, model: type[M], pk: int) -> M | None:
    """The row with its eager relationships loaded, even when the session holds it already
    (a row made in this session has none loaded, and a lazy load would fail under asyncio)."""
    return await session.scalar(
        select(model).where(model.id == pk).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    )


def federation() -> SocialService:
    from shared.services.registry import services  # the registry imports the domains

    return services.social


async def federate(session: AsyncSession, item: FederatedObject) -> None:
    """Create `item` from its app's actor the first time, Update it after."""
    published = await federation().is_published(session, item.app, item.key)
    await federation().publish(session, item, "Update" if published else "Create")

"""Domain writes that federate: a post published, updated or deleted, a product listed, an
event announced. Each writes its change and its activity in the caller's one transaction
(the outbox pattern), through the ActivityPub service the composition root hands in.

Mixed into SqlBlogService, SqlMarketService and SqlEventsService. Human pages live at
`/<slug>/` (blog), `/<stall>/<product>/` (market) and `/<calendar>/<event>/` (events).
"""

from __future__ import annotations

import html as html_lib
from datetime import UTC, datetime
from typing import TypeVar

import nh3
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import FederatedObject, Money, PostSummary, ProductSummary
from shared.contracts.protocols import ActivityPubService
from shared.infrastructure.jinja import format_money
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


async def _fresh(session: AsyncSession, model: type[M], pk: int) -> M | None:
    """The row with its eager relationships loaded, even when the session holds it already
    (a row made in this session has none loaded, and a lazy load would fail under asyncio)."""
    return await session.scalar(
        select(model).where(model.id == pk).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    )


class Federating:
    def __init__(self, federation: ActivityPubService | None = None) -> None:
        self._federation = federation

    @property
    def federation(self) -> ActivityPubService:
        if self._federation is None:
            raise RuntimeError("this service was wired without the ActivityPub service")
        return self._federation

    async def _federate(self, session: AsyncSession, item: FederatedObject) -> None:
        published = await self.federation.is_published(session, item.app, item.key)
        await self.federation.publish(session, item, "Update" if published else "Create")


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


class BlogPublishing(Federating):
    async def publish_post(self, session: AsyncSession, post_id: int) -> PostSummary | None:
        from shared.services.blog import post_summary

        post = await _fresh(session, Post, post_id)
        if post is None:
            return None
        post.status = "published"
        post.published_at = post.published_at or datetime.now(UTC)
        await session.flush()
        if post.type == "post" and post.visibility == "public":
            await self._federate(session, article_of(post))
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
        from shared.services.blog import post_summary

        post = await _fresh(session, Post, post_id)
        if post is None:
            return None
        post.title = title if title is not None else post.title
        post.html = html if html is not None else post.html
        post.excerpt = excerpt if excerpt is not None else post.excerpt
        await session.flush()
        if post.status != "published":
            return None
        if await self.federation.is_published(session, "blog", f"posts/{post.uuid}"):
            await self.federation.publish(session, article_of(post), "Update")
        return post_summary(post)

    async def delete_post(self, session: AsyncSession, post_id: int) -> bool:
        post = await _fresh(session, Post, post_id)
        if post is None:
            return False
        key = f"posts/{post.uuid}"
        if post.published_at and await self.federation.is_published(session, "blog", key):
            await self.federation.publish(session, article_of(post), "Delete")
        await session.delete(post)
        await session.flush()
        return True


class MarketPublishing(Federating):
    async def list_product(self, session: AsyncSession, product_id: int) -> ProductSummary | None:
        from shared.services.market import product_summary

        product = await _fresh(session, Product, product_id)
        if product is None:
            return None
        product.status = "listed"
        await session.flush()
        key = f"products/{product.id}"
        if not await self.federation.is_published(session, "market", key):
            await self.federation.publish(session, note_of(product), "Create")
        return product_summary(product)


def note_of(product: Product) -> FederatedObject:
    # A Note, not an Article: Mastodon shows a Note's content, and a listing is short.
    # The market links products at the same path (market/home, macros.product_card).
    path = f"/stalls/{product.stall.slug}/{product.slug}/"
    price = format_money(Money(product.price_minor, product.currency))
    title, stall = html_lib.escape(product.title), html_lib.escape(product.stall.name)
    content = f"<p>New at {stall}: {title}, {price}</p>"
    if product.description:
        content += f"<p>{html_lib.escape(plain_text(product.description))}</p>"
    image = product.images[0].url if product.images else None
    return FederatedObject(
        app="market",
        key=f"products/{product.id}",
        type="Note",
        content_html=content,
        path=path,
        published_at=datetime.now(UTC),
        image_url=image,
    )


class EventsPublishing(Federating):
    async def announce_event(self, session: AsyncSession, event_id: int) -> bool:
        event = await _fresh(session, Event, event_id)
        if event is None or event.status != "published":
            return False
        await self._federate(session, event_object_of(event))
        return True


def event_object_of(event: Event) -> FederatedObject:
    summary = plain_text(event.description) or event.title
    return FederatedObject(
        app="events",
        key=f"events/{event.id}",
        type="Event",
        name=event.title,
        summary=summary,
        content_html=f"<p>{html_lib.escape(event.description)}</p>" if event.description else "",
        path=f"/{event.calendar.slug}/{event.slug}/",
        published_at=event.created_at or datetime.now(UTC),
        updated_at=datetime.now(UTC),
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=event.location or None,
    )

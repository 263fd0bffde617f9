"""Small builders for test data: real rows, flushed through the test's session."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.activitypub import Actor, ApObject
from shared.models.blog import Author, Post
from shared.models.events import Calendar, Event
from shared.models.identity import User
from shared.models.market import Product, ProductVariant, Stall

_ids = itertools.count(1)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


async def make_user(session: AsyncSession, username: str | None = None, **fields: Any) -> User:
    username = username or f"member{next(_ids)}"
    user = User(
        username=username,
        display_name=fields.pop("display_name", username.title()),
        email=fields.pop("email", f"{username}@example.test"),
        **fields,
    )
    await add(session, user)
    return user


async def make_post(session: AsyncSession, title: str, **fields: Any) -> Post:
    fields.setdefault("status", "published")
    if fields["status"] != "draft":
        # Made later means published later, so tests read in creation order.
        fields.setdefault("published_at", now() - timedelta(days=1, seconds=-next(_ids)))
    post = Post(slug=fields.pop("slug", f"post-{next(_ids)}"), title=title, **fields)
    await add(session, post)
    return post


async def make_author(session: AsyncSession, name: str) -> Author:
    author = Author(slug=f"author-{next(_ids)}", name=name)
    await add(session, author)
    return author


async def make_stall(
    session: AsyncSession, name: str, owner: User | None = None, **fields: Any
) -> Stall:
    owner = owner or await make_user(session)
    fields.setdefault("status", "approved")
    stall = Stall(
        slug=fields.pop("slug", f"stall-{next(_ids)}"), name=name, owner_id=owner.id, **fields
    )
    await add(session, stall)
    return stall


async def make_product(
    session: AsyncSession, stall: Stall, title: str, price_minor: int, **fields: Any
) -> Product:
    fields.setdefault("status", "listed")
    stock = fields.pop("stock", None)
    product = Product(
        stall=stall,
        slug=fields.pop("slug", f"product-{next(_ids)}"),
        title=title,
        price_minor=price_minor,
        currency=fields.pop("currency", "GBP"),
        variants=[ProductVariant(name="Standard", price_minor=price_minor, stock=stock)],
        **fields,
    )
    await add(session, product)
    return product


async def make_calendar(session: AsyncSession, name: str = "Community") -> Calendar:
    calendar = Calendar(slug=f"calendar-{next(_ids)}", name=name)
    await add(session, calendar)
    return calendar


async def make_event(
    session: AsyncSession,
    calendar: Calendar,
    title: str,
    starts_at: datetime,
    *,
    hours: int = 2,
    **fields: Any,
) -> Event:
    fields.setdefault("status", "published")
    # Set, not loaded: a lazy load of a new row's collection fails under asyncio.
    fields.setdefault("overrides", [])
    event = Event(
        calendar=calendar,
        slug=fields.pop("slug", f"event-{next(_ids)}"),
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        **fields,
    )
    await add(session, event)
    return event


async def make_member_actor(session: AsyncSession, user: User) -> Actor:
    actor = Actor(
        ap_id=f"http://federation.localhost:8005/users/{user.username}",
        kind="member",
        user_id=user.id,
        preferred_username=user.username,
        domain="federation.localhost:8005",
        display_name=user.display_name,
    )
    await add(session, actor)
    return actor


async def make_note(session: AsyncSession, actor: Actor, html: str, **fields: Any) -> ApObject:
    note = ApObject(
        ap_id=f"{actor.ap_id}/notes/{next(_ids)}",
        type="Note",
        actor_id=actor.id,
        is_local=fields.pop("is_local", True),
        content_html=html,
        **fields,
    )
    await add(session, note)
    return note

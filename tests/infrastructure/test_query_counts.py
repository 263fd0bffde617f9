"""Each main page asks PostgreSQL a bounded number of statements, the same with a few rows
as with many: no query per post, product, event or line (an N+1 would show as a count that
grows with the rows).

Statements are counted on the test's connection, which every app under test shares, for
the second load of each page (the first fills the fragment cache, like any warm process).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.contracts.dtos import UserRecord
from shared.infrastructure.viewer import set_viewer
from shared.models.blog import Tag
from shared.models.cart import Cart, CartLine
from tests.conftest import AppFactory
from tests.support.factories import (
    add,
    make_author,
    make_calendar,
    make_event,
    make_member_actor,
    make_note,
    make_post,
    make_product,
    make_stall,
    make_user,
    now,
)

SMALL, LARGE = 3, 12
BOUND = 12  # statements; an N+1 over a dozen rows breaks it at once


@contextmanager
def counting(connection: AsyncConnection) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).split("\n", 1)[0][:120])

    target = connection.sync_connection
    assert target is not None
    event.listen(target, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", seen)


Arrange = Callable[[AsyncSession, int, str], Awaitable[str]]


async def blog_home(db: AsyncSession, n: int, p: str) -> str:
    tags = [Tag(slug=f"{p}t{i}", name=f"{p} tag {i}") for i in range(3)]
    await add(db, *tags)
    for i in range(n):
        author = await make_author(db, f"Writer {i}")
        await make_post(db, f"Post {i}", author=author, authors=[author], tags=tags[: i % 3 + 1])
    return "/"


async def blog_post(db: AsyncSession, n: int, p: str) -> str:
    tags = [Tag(slug=f"{p}t{i}", name=f"{p} tag {i}") for i in range(n)]
    await add(db, *tags)
    authors = [await make_author(db, f"Writer {i}") for i in range(n)]
    await make_post(db, "The post", slug=f"{p}-post", authors=authors, tags=tags)
    for i in range(n):
        await make_post(db, f"Other {i}", tags=tags[:1])
    return f"/{p}-post/"


async def market_home(db: AsyncSession, n: int, p: str) -> str:
    for i in range(n):
        stall = await make_stall(db, f"Stall {i}")
        await make_product(db, stall, f"Jam {i}", 350 + i, stock=5)
    return "/"


async def market_product(db: AsyncSession, n: int, p: str) -> str:
    stall = await make_stall(db, "Honey", slug=f"{p}-honey")
    product = await make_product(db, stall, "Honey", 500, slug="honey-jar")
    for i in range(n):
        await make_product(db, stall, f"Other {i}", 300)
    return f"/stalls/{p}-honey/{product.slug}/"


async def events_home(db: AsyncSession, n: int, p: str) -> str:
    for i in range(n):
        calendar = await make_calendar(db, f"Calendar {i}")
        await make_event(db, calendar, f"Event {i}", now() + timedelta(days=i + 1))
    return "/"


async def events_event(db: AsyncSession, n: int, p: str) -> str:
    calendar = await make_calendar(db, "Hall")
    calendar.slug = f"{p}-hall"
    await make_event(db, calendar, "Gig", now() + timedelta(days=3), slug="gig")
    for i in range(n):
        await make_event(db, calendar, f"Other {i}", now() + timedelta(days=i + 4))
    return f"/{p}-hall/gig/"


async def social_home(db: AsyncSession, n: int, p: str) -> str:
    for i in range(n):
        actor = await make_member_actor(db, await make_user(db, f"{p}poster{i}"))
        await make_note(db, actor, f"<p>Note {i}</p>", published_at=now())
    return "/"


PAGES: dict[str, tuple[str, Arrange]] = {
    "blog home": ("blog", blog_home),
    "blog post": ("blog", blog_post),
    "market home": ("market", market_home),
    "market product": ("market", market_product),
    "events home": ("events", events_home),
    "events event": ("events", events_event),
    "social home": ("federation", social_home),
}


async def statements_for(connection: AsyncConnection, client: Any, path: str) -> list[str]:
    """The statements of the page's second load (the first warms the fragment cache)."""
    first = await client.get(path)
    assert first.status_code == 200, (path, first.status_code)
    with counting(connection) as statements:
        second = await client.get(path)
    assert second.status_code == 200
    return statements


@pytest.mark.parametrize("name", list(PAGES))
async def test_a_main_page_asks_the_same_few_statements_for_few_rows_and_many(
    make_app: AppFactory, db: AsyncSession, connection: AsyncConnection, name: str
) -> None:
    app_name, arrange = PAGES[name]
    client = (await make_app(app_name)).test_client()
    small = await statements_for(connection, client, await arrange(db, SMALL, "a"))
    large = await statements_for(connection, client, await arrange(db, LARGE, "b"))
    assert 0 < len(small) <= BOUND, (name, small)
    assert len(large) == len(small), (name, small, large)


async def test_the_members_cart_does_not_grow_with_its_lines(
    make_app: AppFactory, db: AsyncSession, connection: AsyncConnection
) -> None:
    counts = []
    for n in (SMALL, LARGE):
        member = await make_user(db)
        cart = Cart(user_id=member.id)
        await add(db, cart)
        stall = await make_stall(db, f"Stall for {n}")
        for i in range(n):
            product = await make_product(db, stall, f"Thing {i}", 200, stock=10)
            await add(
                db,
                CartLine(
                    cart_id=cart.id,
                    product_id=product.id,
                    variant_id=product.variants[0].id,
                    quantity=1,
                ),
            )
        app = await make_app("cart")
        viewer = UserRecord(
            id=member.id,
            username=member.username,
            display_name=member.display_name,
            email=member.email,
            is_admin=False,
        )
        app.before_request(partial(set_viewer, viewer))
        client = app.test_client()
        statements = await statements_for(connection, client, "/")
        html = await (await client.get("/")).get_data(as_text=True)
        assert "Thing 0" in html and f"Thing {n - 1}" in html
        counts.append(len(statements))
    assert counts[0] == counts[1] <= BOUND, counts

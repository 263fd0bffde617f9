"""The unit of work: inside handlers commit or roll back with the change, after-commit
handlers run once and only after a successful commit."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import NewCartLine
from shared.contracts.events import (
    DomainEvent,
    EventContext,
    EventHandlers,
    MemberSignedIn,
    NavigationChanged,
    PostPublished,
    record,
    recorded,
)
from shared.contracts.widgets import cart_changed
from shared.infrastructure.config import Settings
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.uow import UnitOfWork
from shared.models.blog import NavigationItem
from shared.models.cart import Cart, CartLine
from shared.services.cart import SqlCartService
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services
from tests.support.factories import make_product, make_stall, make_user


@dataclass
class Calls:
    """What the test handlers saw, in order: ("inside" | "after", event)."""

    seen: list[tuple[str, DomainEvent]] = field(default_factory=list)

    def of(self, kind: str) -> list[DomainEvent]:
        return [event for k, event in self.seen if k == kind]


@pytest.fixture
def cache(redis: Redis) -> FragmentCache:
    return FragmentCache(redis, keep_stale=60, timeout=1.0)


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def table(calls: Calls) -> EventHandlers:
    async def inside(event: NavigationChanged, ctx: EventContext) -> None:
        calls.seen.append(("inside", event))

    async def after(event: NavigationChanged, ctx: EventContext) -> None:
        calls.seen.append(("after", event))

    handlers = EventHandlers()
    handlers.inside(NavigationChanged, inside)
    handlers.after_commit(NavigationChanged, after)
    return handlers


async def menu_items(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(NavigationItem.id))) or 0)


def add_item(session: AsyncSession) -> None:
    session.add(NavigationItem(menu="primary", label="Shop", url="/shop/", position=0))


async def test_a_committed_unit_runs_each_handler_once_after_its_writes(
    db: AsyncSession, cache: FragmentCache, table: EventHandlers, calls: Calls
) -> None:
    async with UnitOfWork(db, handlers=table, fragments=cache) as uow:
        add_item(uow.session)
        record(uow.session, NavigationChanged("primary"))
        uow.record(NavigationChanged("primary"))  # the same fact twice is one event
        uow.record(NavigationChanged("secondary"))
        assert calls.seen == []  # nothing runs before the unit ends
    assert calls.seen == [
        ("inside", NavigationChanged("primary")),
        ("inside", NavigationChanged("secondary")),
        ("after", NavigationChanged("primary")),
        ("after", NavigationChanged("secondary")),
    ]
    assert await menu_items(db) == 1
    assert recorded(db) == ()


async def test_a_rolled_back_unit_runs_no_handler_and_forgets_its_events(
    db: AsyncSession, cache: FragmentCache, table: EventHandlers, calls: Calls
) -> None:
    with pytest.raises(LookupError):
        async with UnitOfWork(db, handlers=table, fragments=cache) as uow:
            add_item(uow.session)
            uow.record(NavigationChanged("primary"))
            raise LookupError("the route gave up")
    assert calls.seen == []
    assert await menu_items(db) == 0
    assert recorded(db) == ()
    # The session is usable again, and the next unit does not replay the lost event.
    async with UnitOfWork(db, handlers=table, fragments=cache):
        pass
    assert calls.seen == []


async def test_an_inside_handler_that_raises_rolls_the_whole_unit_back(
    db: AsyncSession, cache: FragmentCache, table: EventHandlers, calls: Calls
) -> None:
    async def write_then_fail(event: NavigationChanged, ctx: EventContext) -> None:
        add_item(ctx.session)  # e.g. an outbox row or a job
        await ctx.session.flush()
        raise ValueError("the outbox refused")

    table.inside(NavigationChanged, write_then_fail)
    with pytest.raises(ValueError, match="the outbox refused"):
        async with UnitOfWork(db, handlers=table, fragments=cache) as uow:
            add_item(uow.session)
            uow.record(NavigationChanged("primary"))
    assert await menu_items(db) == 0  # neither the change nor the handler's row
    assert calls.of("after") == []


async def test_a_failing_commit_runs_no_after_commit_handler(
    db: AsyncSession, cache: FragmentCache, table: EventHandlers, calls: Calls
) -> None:
    with pytest.raises(IntegrityError):
        async with UnitOfWork(db, handlers=table, fragments=cache) as uow:
            uow.record(NavigationChanged("primary"))
            uow.session.add(
                CartLine(cart_id=999_999, product_id=999_999, variant_id=999_999, quantity=1)
            )
    assert calls.of("inside") == [NavigationChanged("primary")]
    assert calls.of("after") == []


async def test_a_failing_after_commit_handler_is_logged_and_the_others_still_run(
    db: AsyncSession, cache: FragmentCache, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(event: NavigationChanged, ctx: EventContext) -> None:
        raise ConnectionError("redis went away")

    async def after(event: NavigationChanged, ctx: EventContext) -> None:
        calls.seen.append(("after", event))

    handlers = EventHandlers()
    handlers.after_commit(NavigationChanged, broken)
    handlers.after_commit(NavigationChanged, after)
    async with UnitOfWork(db, handlers=handlers, fragments=cache) as uow:
        add_item(uow.session)
        uow.record(NavigationChanged("primary"))
    assert calls.of("after") == [NavigationChanged("primary")]
    assert await menu_items(db) == 1  # committed all the same
    assert "redis went away" in caplog.text


async def test_events_recorded_by_inside_handlers_are_handled_in_the_same_unit(
    db: AsyncSession, cache: FragmentCache, table: EventHandlers, calls: Calls
) -> None:
    async def post_changes_menu(event: PostPublished, ctx: EventContext) -> None:
        record(ctx.session, NavigationChanged("primary"))

    table.inside(PostPublished, post_changes_menu)
    async with UnitOfWork(db, handlers=table, fragments=cache) as uow:
        uow.record(PostPublished(1))
    assert calls.seen == [
        ("inside", NavigationChanged("primary")),
        ("after", NavigationChanged("primary")),
    ]


async def generation(redis: Redis, scope: str) -> int:
    return int(await redis.get(f"frag:v1:gen:cart:mini-cart:{scope}") or 0)


async def test_signing_in_adopts_the_anonymous_cart_through_the_cart_s_handler(
    db: AsyncSession, cache: FragmentCache, redis: Redis, settings: Settings
) -> None:
    wire_services(settings)
    member = await make_user(db, "dora")
    product = await make_product(db, await make_stall(db, "Stall"), "Jam", 450)
    token = "a" * 40
    await SqlCartService().add_to_cart(
        db, user_id=None, anon_token=token, line=NewCartLine(quantity=2, product_id=product.id)
    )
    async with UnitOfWork(db, handlers=event_handlers(), fragments=cache) as uow:
        uow.record(MemberSignedIn(user_id=member.id, anon_cart_token=token))

    assert await db.scalar(select(Cart.id).where(Cart.anon_token == token)) is None
    summary = await SqlCartService().get_cart_summary(db, user_id=member.id, anon_token=None)
    assert summary.item_count == 2
    anon_scope = cart_changed(user_id=None, anon_token=token).scope
    member_scope = cart_changed(user_id=member.id, anon_token=None).scope
    assert await generation(redis, anon_scope) == 1  # once, though recorded by add and merge
    assert await generation(redis, member_scope) == 1

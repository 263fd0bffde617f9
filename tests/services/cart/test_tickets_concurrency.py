"""Concurrent buyers for the last seats of a ticket type, on a database whose commits are
real (the test transaction cannot show races): exactly as many get a hold, and pay, as
there are seats left after the tickets already issued."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.cart import CartOwner, Contact
from shared.contracts.errors import CartItemUnavailable
from shared.dev.schema import migrate
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.db import make_engine, make_sessionmaker
from shared.infrastructure.fragment_cache import FragmentCache
from shared.infrastructure.sumup import SumUpClient
from shared.infrastructure.uow import UnitOfWork
from shared.models.cart import Cart, CartLine, Order, OrderStatus, StockHold
from shared.models.events import Calendar, Event, Ticket, TicketType
from shared.services.cart.checkout import place_order
from shared.services.cart.payments import PaymentUrls, settle, start_payment
from shared.services.handlers import event_handlers
from shared.services.registry import wire_services
from tests.support.cart import Units, with_sumup
from tests.support.databases import DatabaseServer
from tests.support.factories import now

pytestmark = pytest.mark.slow
DATABASE = "rose_ash_ticket_races"
BUYERS = 20
QUANTITY = 5
ISSUED = 2  # so the last 3 seats are left
URLS = PaymentUrls(redirect_url="http://cart.test/back", webhook_url="http://127.0.0.1:9/x")


@pytest.fixture(scope="module")
def races_database(database_server: DatabaseServer) -> Iterator[str]:
    url = database_server.create_fresh(DATABASE)
    migrate(url)
    yield url
    database_server.drop(DATABASE)


@pytest.fixture
async def committed(
    races_database: str, settings: Settings, sumup_stand_in: SumUpStandIn
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Units, Settings]]:
    database = settings.database.model_copy(update={"url": races_database, "pool_size": BUYERS + 5})
    config = with_sumup(settings.model_copy(update={"database": database}), sumup_stand_in)
    wire_services(config)
    engine = make_engine(config.database)
    sessions = make_sessionmaker(engine)
    redis = Redis.from_url(config.redis.url)
    fragments = FragmentCache(redis, keep_stale=60, timeout=1.0)
    handlers = event_handlers()

    def units() -> UnitOfWork:
        return UnitOfWork(sessions(), handlers=handlers, fragments=fragments, owns_session=True)

    yield sessions, units, config
    await redis.aclose()
    await engine.dispose()


async def _gig(sessions: async_sessionmaker[AsyncSession]) -> TicketType:
    async with sessions() as s, s.begin():
        calendar = Calendar(slug="races", name="Races")
        starts = now() + timedelta(days=10)
        event = Event(
            calendar=calendar,
            slug="last-seats",
            title="Last seats",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            time_zone="Europe/London",
            status="published",
            overrides=[],
        )
        s.add(event)
        await s.flush()
        kind = TicketType(
            event_id=event.id, name="Seat", price_minor=1200, currency="GBP", quantity=QUANTITY
        )
        s.add(kind)
        await s.flush()
        for seat in range(ISSUED):
            s.add(
                Ticket(
                    code=f"EARLYBIRD{seat}",
                    ticket_type_id=kind.id,
                    occurrence_start=starts,
                    seat=seat + 1,
                )
            )
        for buyer in range(BUYERS):
            cart = Cart(anon_token=f"seat-buyer-{buyer}")
            s.add(cart)
            await s.flush()
            s.add(CartLine(cart_id=cart.id, ticket_type_id=kind.id, quantity=1))
        return kind


async def _checkout(units: Units, buyer: int) -> Order | str:
    try:
        async with units() as uow:
            return await place_order(
                uow.session,
                owner=CartOwner(None, f"seat-buyer-{buyer}"),
                contact=Contact(f"buyer{buyer}@example.test", f"Buyer {buyer}"),
                choices={},
                notes="",
                hold_minutes=15,
            )
    except CartItemUnavailable as exc:
        return str(exc)


async def test_twenty_buyers_for_the_last_three_seats_give_three_paid_orders(
    committed: tuple[async_sessionmaker[AsyncSession], Units, Settings],
    sumup_stand_in: SumUpStandIn,
) -> None:
    sessions, units, settings = committed
    kind = await _gig(sessions)

    outcomes = await asyncio.gather(*(_checkout(units, b) for b in range(BUYERS)))

    orders = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, str)]
    left = QUANTITY - ISSUED
    assert len(orders) == left and len(refused) == BUYERS - left
    assert all(text.startswith("Sold out: Last seats: Seat") for text in refused)
    client = SumUpClient(settings.sumup)
    try:
        for order in orders:
            url = await start_payment(units, client, settings, order.id, URLS)
            sumup_stand_in.complete(url.rsplit("/", 1)[1], pay=True)
            await settle(units, client, settings, url.rsplit("/", 1)[1], source="return")
    finally:
        await client.aclose()
    async with sessions() as s:
        paid = await s.scalar(
            select(func.count()).where(
                Order.status == OrderStatus.PAID, Order.id.in_([o.id for o in orders])
            )
        )
        assert paid == left
        issued = await s.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.ticket_type_id == kind.id)
        )
        assert issued == QUANTITY
        holds = await s.scalar(
            select(func.count()).select_from(StockHold).where(StockHold.ticket_type_id == kind.id)
        )
        assert holds == 0

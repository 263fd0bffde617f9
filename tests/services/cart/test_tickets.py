"""Tickets in the cart: only in their sales window, no more than the seats left (tickets
issued plus live holds), held at checkout, re-checked when paying, freed when a hold
expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.cart import CartOwner, Contact, SoldOut
from shared.contracts.dtos import NewCartLine
from shared.contracts.errors import CartItemUnavailable
from shared.dev.sumup import SumUpStandIn
from shared.infrastructure.config import Settings
from shared.infrastructure.sumup import SumUpClient
from shared.models.cart import Order, OrderStatus, StockHold
from shared.models.events import Event, Ticket, TicketType
from shared.services.cart.checkout import place_order
from shared.services.cart.page import cart_page, set_quantity
from shared.services.cart.payments import release_expired, settle, start_payment
from shared.services.events.tickets import list_ticket_types
from shared.services.registry import services
from tests.services.cart.test_payments import URLS, fresh
from tests.support.cart import Units
from tests.support.factories import add, make_calendar, make_event, now


async def ticket_type(
    db: AsyncSession, quantity: int | None = 3, issued: int = 0, **window: object
) -> TicketType:
    event = await make_event(db, await make_calendar(db), "Gig", now() + timedelta(days=9))
    kind = TicketType(
        event_id=event.id, name="Standing", price_minor=1500, currency="GBP", quantity=quantity
    )
    for name, value in window.items():
        setattr(kind, name, value)
    await add(db, kind)
    for seat in range(issued):
        await add(
            db,
            Ticket(
                code=f"ISSUED{kind.id}X{seat}",
                ticket_type_id=kind.id,
                occurrence_start=event.starts_at,
                seat=seat + 1,
            ),
        )
    return kind


async def add_seats(units: Units, token: str, kind: TicketType, quantity: int) -> None:
    async with units() as uow:
        await services.cart.add_to_cart(
            uow.session,
            user_id=None,
            anon_token=token,
            line=NewCartLine(quantity=quantity, ticket_type_id=kind.id),
        )


async def checkout(units: Units, token: str, settings: Settings) -> Order:
    async with units() as uow:
        return await place_order(
            uow.session,
            owner=CartOwner(None, token),
            contact=Contact(f"{token}@example.test", "Ada Lovelace"),
            choices={},
            notes="",
            hold_minutes=settings.cart.hold_minutes,
        )


async def test_tickets_go_in_a_cart_only_in_their_sales_window(
    db: AsyncSession, units: Units
) -> None:
    early = await ticket_type(db, sales_start_at=now() + timedelta(days=2))
    late = await ticket_type(db, sales_end_at=now() - timedelta(hours=1))

    with pytest.raises(CartItemUnavailable, match="Tickets for Gig: Standing go on sale on "):
        await add_seats(units, "early-bird", early, 1)
    with pytest.raises(CartItemUnavailable, match="Ticket sales for Gig: Standing have closed"):
        await add_seats(units, "latecomer", late, 1)
    with pytest.raises(CartItemUnavailable, match="go on sale"):
        await services.cart.get_cart_item(db, NewCartLine(quantity=1, ticket_type_id=early.id))


async def test_a_cart_takes_no_more_seats_than_are_left_after_tickets_issued(
    db: AsyncSession, units: Units
) -> None:
    kind = await ticket_type(db, quantity=5, issued=2)

    with pytest.raises(CartItemUnavailable, match=r"Only 3 tickets left for Gig: Standing\."):
        await add_seats(units, "greedy", kind, 4)
    await add_seats(units, "greedy", kind, 2)
    with pytest.raises(CartItemUnavailable, match="Only 3 tickets left"):
        await add_seats(units, "greedy", kind, 2)  # 2 in the cart already
    item = await services.cart.get_cart_item(db, NewCartLine(quantity=1, ticket_type_id=kind.id))
    assert item.left == 3 and item.unit_price.amount_minor == 1500


async def test_checkout_holds_seats_paying_rechecks_and_an_expired_hold_frees_them(
    db: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    kind = await ticket_type(db, quantity=3, issued=1)
    await add_seats(units, "first", kind, 2)
    await add_seats(units, "second", kind, 1)
    first = await checkout(units, "first", cart_settings)

    # The first buyer's hold has the last two seats: none for a new cart, and the
    # second cart (filled before) cannot check out.
    with pytest.raises(SoldOut, match="Sold out: Gig: Standing"):
        await add_seats(units, "third", kind, 1)
    with pytest.raises(SoldOut):
        await checkout(units, "second", cart_settings)
    page = await cart_page(db, CartOwner(None, "second"))
    assert page.groups[0].lines[0].warning == "Sold out: remove it to check out."
    [on_page] = await list_ticket_types(db, kind.event_id)  # what the event page shows
    assert (on_page.sold, on_page.left, on_page.state) == (3, 0, "sold_out")

    # The hold lapses: the seats are free again, and the second buyer takes one.
    await db.execute(
        update(StockHold).where(StockHold.order_id == first.id).values(expires_at=now())
    )
    second = await checkout(units, "second", cart_settings)

    # Paying re-checks: the first order's two seats are no longer there.
    with pytest.raises(SoldOut):
        await start_payment(units, sumup_client, cart_settings, first.id, URLS)
    assert await release_expired(units, sumup_client, cart_settings) == 1
    assert (await fresh(sessions, Order, first.id)).status == OrderStatus.CANCELLED

    url = await start_payment(units, sumup_client, cart_settings, second.id, URLS)
    sumup.complete(url.rsplit("/", 1)[1], pay=True)
    await settle(units, sumup_client, cart_settings, url.rsplit("/", 1)[1], source="return")
    issued = await db.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.ticket_type_id == kind.id)
    )
    assert issued == 2
    held = await db.scalar(
        select(func.count()).select_from(StockHold).where(StockHold.ticket_type_id == kind.id)
    )
    assert held == 0
    # One seat left: a new cart can have it, not two.
    with pytest.raises(CartItemUnavailable, match="Only 1 ticket left"):
        await add_seats(units, "fourth", kind, 2)
    await add_seats(units, "fourth", kind, 1)


async def test_an_unpublished_events_tickets_leave_no_hold_to_pay(
    db: AsyncSession, units: Units, cart_settings: Settings, sumup_client: SumUpClient
) -> None:
    kind = await ticket_type(db, quantity=None)
    await add_seats(units, "buyer", kind, 2)
    order = await checkout(units, "buyer", cart_settings)
    assert order.total_minor == 3000
    await db.execute(update(Event).where(Event.id == kind.event_id).values(status="cancelled"))

    with pytest.raises(CartItemUnavailable, match="Gig: Standing is not on sale"):
        await start_payment(units, sumup_client, cart_settings, order.id, URLS)


async def test_paying_after_the_hold_lapsed_takes_the_seats_again_while_they_are_free(
    db: AsyncSession,
    units: Units,
    cart_settings: Settings,
    sumup: SumUpStandIn,
    sumup_client: SumUpClient,
) -> None:
    kind = await ticket_type(db, quantity=2)
    await add_seats(units, "slow", kind, 2)
    order = await checkout(units, "slow", cart_settings)
    await db.execute(
        update(StockHold).where(StockHold.order_id == order.id).values(expires_at=now())
    )

    await start_payment(units, sumup_client, cart_settings, order.id, URLS)

    [renewed] = await db.scalars(select(StockHold).where(StockHold.order_id == order.id))
    assert (renewed.ticket_type_id, renewed.quantity) == (kind.id, 2)
    assert renewed.expires_at > now() + timedelta(minutes=cart_settings.cart.hold_minutes - 1)


async def test_raising_a_ticket_lines_quantity_on_the_cart_page_keeps_to_the_seats_left(
    db: AsyncSession, units: Units
) -> None:
    kind = await ticket_type(db, quantity=4, issued=1)
    await add_seats(units, "page", kind, 1)
    [line] = (await cart_page(db, CartOwner(None, "page"))).groups[0].lines

    with pytest.raises(CartItemUnavailable, match="Only 3 tickets left for Gig: Standing"):
        await set_quantity(db, CartOwner(None, "page"), line.id, 4)
    await set_quantity(db, CartOwner(None, "page"), line.id, 3)
    [line] = (await cart_page(db, CartOwner(None, "page"))).groups[0].lines
    assert (line.quantity, line.left, line.warning) == (3, 3, "")

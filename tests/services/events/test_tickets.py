"""Tickets: OrderPaid issues one ticket per seat, once; check-in answers valid, already
used, or not for this event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import OrderPaid
from shared.infrastructure.config import Settings
from shared.models.cart import Order, OrderLine
from shared.models.events import Ticket, TicketType
from shared.models.jobs import Job
from shared.services.events.tickets import CheckIn, check_in, qr_svg
from tests.support.factories import add, make_calendar, make_event, make_user, now
from tests.support.units import unit_of_work


async def _paid_order(
    db: AsyncSession, settings: Settings, redis: Redis, seats: int = 2
) -> tuple[TicketType, Order]:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Gig", now() + timedelta(days=9))
    ticket_type = TicketType(
        event_id=event.id, name="Standing", price_minor=1500, currency="GBP", quantity=100
    )
    buyer = await make_user(db)
    await add(db, ticket_type)
    order = Order(
        number=f"RA-{ticket_type.id}",
        user_id=buyer.id,
        email=buyer.email,
        access_token=f"token-{ticket_type.id}",
        currency="GBP",
        total_minor=1500 * seats,
    )
    order.lines = [
        OrderLine(
            ticket_type_id=ticket_type.id,
            title="Gig: Standing",
            unit_price_minor=1500,
            quantity=seats,
        )
    ]
    await add(db, order)
    async with unit_of_work(db, settings, redis) as uow:
        order.status = "paid"
        uow.record(OrderPaid(order.id))
    return ticket_type, order


async def test_a_paid_order_issues_one_ticket_per_seat_and_mails_them(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    ticket_type, order = await _paid_order(db, settings, redis, seats=2)

    tickets = list(await db.scalars(select(Ticket).where(Ticket.ticket_type_id == ticket_type.id)))

    assert sorted(t.seat for t in tickets) == [1, 2]
    assert len({t.code for t in tickets}) == 2 and all(len(t.code) == 20 for t in tickets)
    assert {t.holder_id for t in tickets} == {order.user_id}
    mails = list(await db.scalars(select(Job.payload).where(Job.kind == "events.tickets_mail")))
    assert [sorted(m["codes"]) for m in mails] == [sorted(t.code for t in tickets)]

    async with unit_of_work(db, settings, redis) as uow:  # the same event, handled again
        uow.record(OrderPaid(order.id))
    assert (
        len(list(await db.scalars(select(Ticket).where(Ticket.ticket_type_id == ticket_type.id))))
        == 2
    )


async def test_check_in_answers_valid_then_already_used_and_other_event(
    db: AsyncSession, settings: Settings, redis: Redis
) -> None:
    ticket_type, _ = await _paid_order(db, settings, redis, seats=1)
    [ticket] = await db.scalars(select(Ticket).where(Ticket.ticket_type_id == ticket_type.id))
    other = await make_event(db, await make_calendar(db), "Other", now() + timedelta(days=1))
    at = datetime.now(UTC)

    assert (await check_in(db, ticket_type.event_id, ticket.code.lower(), at))[0] == CheckIn.VALID
    assert (await check_in(db, ticket_type.event_id, ticket.code, at))[0] == CheckIn.ALREADY_USED
    assert (await check_in(db, other.id, ticket.code, at))[0] == CheckIn.OTHER_EVENT
    assert (await check_in(db, other.id, "NOPE", at))[0] == CheckIn.UNKNOWN


def test_the_qr_code_is_an_inline_svg_without_scripts() -> None:
    svg = qr_svg("ABCDEFGHJK23456789MN")
    assert svg.startswith("<svg") and "<script" not in svg and "<path" in svg

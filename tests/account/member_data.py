"""A member with one of each thing the dashboard shows: an order awaiting payment, a paid
one, a ticket and a booking for a coming event. Real rows, committed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.models.cart import Order, OrderFulfilment, OrderLine, OrderStatus
from shared.models.events import Booking, Ticket, TicketType
from shared.models.identity import User
from shared.services.events.bookings import new_token
from tests.support.factories import add, make_calendar, make_event, make_product, make_stall, now


@dataclass(frozen=True)
class MemberThings:
    pending_order_id: int
    pending_number: str
    paid_order_id: int
    ticket_code: str
    booking_id: int
    event_title: str


async def give_things(
    sessions: async_sessionmaker[AsyncSession], user_id: int, tag: str
) -> MemberThings:
    async with sessions() as session, session.begin():
        user = await session.get(User, user_id)
        assert user is not None
        stall = await make_stall(session, f"{tag} Bakery")
        bread = await make_product(session, stall, f"{tag} sourdough", 450, stock=5)
        orders = []
        for status in (OrderStatus.PAID, OrderStatus.PENDING_PAYMENT):
            order = Order(
                number=f"RA-{secrets.randbelow(10**9):09d}",
                user_id=user.id,
                email=user.email,
                contact_name=user.display_name,
                phone="01234 567890",
                status=status,
                currency="GBP",
                total_minor=900,
                access_token=secrets.token_urlsafe(32),
                paid_at=now() if status == OrderStatus.PAID else None,
                lines=[
                    OrderLine(
                        product_id=bread.id,
                        stall_id=stall.id,
                        title=bread.title,
                        unit_price_minor=450,
                        quantity=2,
                    )
                ],
                fulfilments=[
                    OrderFulfilment(stall_id=stall.id, method="delivery", address="2 Mill St")
                ],
            )
            await add(session, order)
            orders.append(order)
        starts = now() + timedelta(days=5)
        event = await make_event(
            session, await make_calendar(session), f"{tag} lantern walk", starts
        )
        ticket_type = TicketType(event_id=event.id, name="Standard", price_minor=500)
        await add(session, ticket_type)
        ticket = Ticket(
            code=secrets.token_hex(6).upper(),
            ticket_type_id=ticket_type.id,
            holder_id=user.id,
            holder_name=user.display_name,
            holder_email=user.email,
            occurrence_start=starts,
        )
        booking = Booking(
            event_id=event.id,
            user_id=user.id,
            name=user.display_name,
            occurrence_start=starts,
            token_hash=new_token()[1],
        )
        await add(session, ticket, booking)
        return MemberThings(
            pending_order_id=orders[1].id,
            pending_number=orders[1].number,
            paid_order_id=orders[0].id,
            ticket_code=ticket.code,
            booking_id=booking.id,
            event_title=event.title,
        )

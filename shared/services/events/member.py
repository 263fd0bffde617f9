"""The member's own tickets and bookings as account shows them: the dashboard cards,
the tickets and bookings pages, cancelling a booking, the export, account deletion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import TicketRecord
from shared.contracts.events import MemberOrdersChanged, record
from shared.contracts.member import MemberBooking
from shared.models.events import Booking, BookingStatus, Ticket, TicketStatus
from shared.services.events.bookings import LIVE, cancel_booking
from shared.services.events.tickets import record_of


def member_booking(booking: Booking) -> MemberBooking:
    event = booking.event
    return MemberBooking(
        id=booking.id,
        event_title=event.title,
        event_path=f"/{event.calendar.slug}/{event.slug}/",
        occurrence_start=booking.occurrence_start,
        time_zone=event.time_zone,
        seats=booking.seats,
        status=booking.status,
    )


class MemberEvents:
    """The part of SqlEventsService that answers for one member's tickets and bookings."""

    async def list_member_tickets(
        self, session: AsyncSession, user_id: int, *, now: datetime, limit: int = 50
    ) -> list[TicketRecord]:
        """The member's tickets for occurrences still to come, soonest first."""
        tickets = await session.scalars(
            select(Ticket)
            .where(Ticket.holder_id == user_id, Ticket.occurrence_start >= now)
            .order_by(Ticket.occurrence_start, Ticket.id)
            .limit(limit)
        )
        return [record_of(ticket) for ticket in tickets]

    async def list_member_bookings(
        self, session: AsyncSession, user_id: int, *, now: datetime, limit: int = 50
    ) -> list[MemberBooking]:
        bookings = await session.scalars(
            select(Booking)
            .where(
                Booking.user_id == user_id,
                Booking.status.in_(LIVE),
                Booking.occurrence_start >= now,
            )
            .order_by(Booking.occurrence_start, Booking.id)
            .limit(limit)
        )
        return [member_booking(booking) for booking in bookings]

    async def cancel_member_booking(
        self, session: AsyncSession, user_id: int, booking_id: int, *, base_url: str
    ) -> MemberBooking | None:
        booking = await session.scalar(
            select(Booking).where(Booking.id == booking_id, Booking.user_id == user_id)
        )
        if booking is None:
            return None
        if booking.status != BookingStatus.CANCELLED:
            await cancel_booking(session, booking, base_url=base_url)
        return member_booking(booking)

    async def release_member(
        self, session: AsyncSession, user_id: int, *, now: datetime, base_url: str
    ) -> None:
        coming = await session.scalars(
            select(Booking)
            .where(
                Booking.user_id == user_id,
                Booking.status.in_(LIVE),
                Booking.occurrence_start >= now,
            )
            .order_by(Booking.occurrence_start, Booking.id)
        )
        for booking in list(coming):
            await cancel_booking(session, booking, base_url=base_url)
        await session.execute(update(Booking).where(Booking.user_id == user_id).values(name=""))
        # Paid for, but nobody will come: void, never refunded (the page said so).
        await session.execute(
            update(Ticket)
            .where(
                Ticket.holder_id == user_id,
                Ticket.status == TicketStatus.VALID,
                Ticket.occurrence_start >= now,
            )
            .values(status=TicketStatus.VOID)
        )
        await session.execute(
            update(Ticket)
            .where(Ticket.holder_id == user_id)
            .values(holder_id=None, holder_name="", holder_email="")
        )
        record(session, MemberOrdersChanged(user_id=user_id))  # the tickets card

    async def export_member_events(self, session: AsyncSession, user_id: int) -> dict[str, Any]:
        tickets = await session.scalars(
            select(Ticket).where(Ticket.holder_id == user_id).order_by(Ticket.id)
        )
        bookings = await session.scalars(
            select(Booking).where(Booking.user_id == user_id).order_by(Booking.id)
        )
        return {
            "tickets": [
                {
                    "code": t.code,
                    "status": t.status,
                    "event": r.event_title,
                    "ticket_type": r.ticket_type_name,
                    "starts_at": r.occurrence_start.isoformat(),
                    "holder_name": r.holder_name,
                    "holder_email": r.holder_email,
                }
                for t in tickets
                for r in (record_of(t),)
            ],
            "bookings": [
                {
                    "event": b.event.title,
                    "starts_at": b.occurrence_start.isoformat(),
                    "seats": b.seats,
                    "status": b.status,
                    "name": b.name,
                }
                for b in bookings
            ],
        }

"""Free bookings: capacity per occurrence, a waiting list that promotes in order, guests
confirmed by an emailed link, cancelling from the mail or the account.

Capacity holds under concurrency because every booking and cancellation of an
event first locks the event's row (`FOR UPDATE`): seats are counted and the
new row written while no other transaction can count the same seats.
Mails are durable jobs enqueued in the same transaction (`events.mail`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import AlreadyBooked, BookingRefused, OccurrenceRecord
from shared.contracts.events import MemberBookingsChanged, record
from shared.infrastructure.jobs import enqueue
from shared.models.events import Booking, BookingStatus, Event
from shared.models.identity import User
from shared.services.events.mail import MAIL_KIND
from shared.services.events.recurrence import find_occurrence

LIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.PENDING)


def new_token() -> tuple[str, str]:
    """A booking's link token and the hash we keep of it."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def bookable_occurrence(
    session: AsyncSession, event_id: int, recurrence_id: datetime, now: datetime
) -> tuple[Event, OccurrenceRecord]:
    """The event, locked, and its occurrence; BookingRefused when it cannot be booked."""
    event = await session.scalar(
        select(Event).where(Event.id == event_id).with_for_update(of=Event)
    )
    if event is None or event.status != "published" or event.capacity is None:
        raise BookingRefused("This event takes no bookings.")
    occurrence = find_occurrence(event, recurrence_id)
    if occurrence is None:
        raise BookingRefused("This event has no such occurrence (it may have been cancelled).")
    if occurrence.starts_at <= now:
        raise BookingRefused("This occurrence has already started: it can no longer be booked.")
    return event, occurrence


async def _confirmed_seats(session: AsyncSession, event_id: int, occurrence: datetime) -> int:
    seats = await session.scalar(
        select(func.coalesce(func.sum(Booking.seats), 0)).where(
            Booking.event_id == event_id,
            Booking.occurrence_start == occurrence,
            Booking.status == BookingStatus.CONFIRMED,
        )
    )
    return int(seats or 0)


async def _place(session: AsyncSession, event: Event, booking: Booking) -> None:
    """Confirm the booking if a seat is free, else put it on the waiting list."""
    taken = await _confirmed_seats(session, event.id, booking.occurrence_start)
    capacity = event.capacity or 0
    booking.status = (
        BookingStatus.CONFIRMED if taken + booking.seats <= capacity else BookingStatus.WAITING
    )


async def _already(
    session: AsyncSession, event_id: int, occurrence: datetime, **who: object
) -> bool:
    found = await session.scalar(
        select(Booking.id)
        .filter_by(event_id=event_id, occurrence_start=occurrence, **who)
        .where(Booking.status.in_(LIVE))
    )
    return found is not None


async def book_member(
    session: AsyncSession,
    *,
    event_id: int,
    recurrence_id: datetime,
    user: User,
    now: datetime,
    base_url: str,
) -> Booking:
    """Book a place for a signed-in member: confirmed, or waiting when full."""
    event, occurrence = await bookable_occurrence(session, event_id, recurrence_id, now)
    if await _already(session, event.id, occurrence.recurrence_id, user_id=user.id):
        raise AlreadyBooked("You have already booked this occurrence.")
    token, hashed = new_token()
    booking = Booking(
        event=event,
        user_id=user.id,
        name=user.display_name,
        occurrence_start=occurrence.recurrence_id,
        seats=1,
        token_hash=hashed,
    )
    await _place(session, event, booking)
    session.add(booking)
    await session.flush()
    record(session, MemberBookingsChanged(user_id=user.id))
    await _mail_booking(session, booking, occurrence, user.email, token, base_url)
    return booking


async def book_guest(
    session: AsyncSession,
    *,
    event_id: int,
    recurrence_id: datetime,
    name: str,
    email: str,
    now: datetime,
    base_url: str,
) -> Booking:
    """A guest's booking, pending until the emailed link is confirmed (with a POST)."""
    event, occurrence = await bookable_occurrence(session, event_id, recurrence_id, now)
    email = email.strip().lower()
    if await _already(session, event.id, occurrence.recurrence_id, guest_email=email, user_id=None):
        raise AlreadyBooked("This email address has already booked this occurrence.")
    token, hashed = new_token()
    booking = Booking(
        event=event,
        guest_email=email,
        name=name.strip()[:200],
        occurrence_start=occurrence.recurrence_id,
        seats=1,
        status=BookingStatus.PENDING,
        token_hash=hashed,
    )
    session.add(booking)
    await session.flush()
    link = f"{base_url}/bookings/{token}/confirm"
    await enqueue(
        session,
        MAIL_KIND,
        {
            "to": email,
            "subject": f"Confirm your place: {event.title}",
            "text": (
                f"Hello {booking.name or 'there'},\n\nSomeone (we hope you) asked for a place at "
                f"{event.title} on {_when(occurrence)}.\nOpen this link to confirm it:\n{link}\n\n"
                "If it was not you, ignore this mail: nothing is booked until you confirm."
            ),
        },
    )
    return booking


def _when(occurrence: OccurrenceRecord) -> str:
    return occurrence.starts_at.strftime("%A %-d %B %Y, %H:%M ") + occurrence.time_zone


async def _mail_booking(
    session: AsyncSession,
    booking: Booking,
    occurrence: OccurrenceRecord,
    email: str,
    token: str,
    base_url: str,
) -> None:
    event = booking.event
    cancel = f"{base_url}/bookings/{token}/cancel"
    if booking.status == BookingStatus.CONFIRMED:
        subject, state = f"You're booked: {event.title}", "Your place is booked"
    else:
        subject, state = (
            f"Waiting list: {event.title}",
            (
                "The event is full, so you are on the waiting list;"
                " we will mail you if a place frees up"
            ),
        )
    await enqueue(
        session,
        MAIL_KIND,
        {
            "to": email,
            "subject": subject,
            "text": (
                f"Hello {booking.name or 'there'},\n\n{state}: {event.title}, {_when(occurrence)}."
                f"\n\nCan't come? Cancel here, so someone else can have the place:\n{cancel}\n"
            ),
        },
    )


async def booking_of_token(session: AsyncSession, token: str) -> Booking | None:
    if not token or len(token) > 100:
        return None
    return await session.scalar(select(Booking).where(Booking.token_hash == token_hash(token)))


async def confirm_guest(session: AsyncSession, booking: Booking, *, base_url: str) -> str:
    """A pending guest booking becomes confirmed or waiting; the new status."""
    event = await session.scalar(
        select(Event).where(Event.id == booking.event_id).with_for_update(of=Event)
    )
    assert event is not None
    if booking.status != BookingStatus.PENDING:
        return booking.status
    await _place(session, event, booking)
    token, booking.token_hash = new_token()
    await session.flush()
    occurrence = find_occurrence(event, booking.occurrence_start)
    if occurrence is not None:
        await _mail_booking(session, booking, occurrence, booking.guest_email, token, base_url)
    return booking.status


async def cancel_booking(
    session: AsyncSession, booking: Booking, *, base_url: str
) -> Booking | None:
    """Cancel the booking; when it held a seat, promote the longest-waiting booking that
    fits and mail them. Returns the promoted booking, if any."""
    event = await session.scalar(
        select(Event).where(Event.id == booking.event_id).with_for_update(of=Event)
    )
    assert event is not None
    held_seat = booking.status == BookingStatus.CONFIRMED
    booking.status = BookingStatus.CANCELLED
    await session.flush()
    if booking.user_id is not None:
        record(session, MemberBookingsChanged(user_id=booking.user_id))
    if not held_seat:
        return None
    return await _promote(session, event, booking.occurrence_start, base_url)


async def _promote(
    session: AsyncSession,
    event: Event,
    occurrence_start: datetime,
    base_url: str,
) -> Booking | None:
    waiting = await session.scalars(
        select(Booking)
        .where(
            Booking.event_id == event.id,
            Booking.occurrence_start == occurrence_start,
            Booking.status == BookingStatus.WAITING,
        )
        .order_by(Booking.created_at, Booking.id)
    )
    free = (event.capacity or 0) - await _confirmed_seats(session, event.id, occurrence_start)
    for candidate in waiting:
        if candidate.seats > free:
            continue
        candidate.status = BookingStatus.CONFIRMED
        token, candidate.token_hash = new_token()
        await session.flush()
        if candidate.user_id is not None:
            record(session, MemberBookingsChanged(user_id=candidate.user_id))
        email = candidate.guest_email
        if not email and candidate.user_id is not None:
            email = (
                await session.scalar(select(User.email).where(User.id == candidate.user_id)) or ""
            )
        occurrence = find_occurrence(event, occurrence_start)
        if email and occurrence is not None:
            await enqueue(
                session,
                MAIL_KIND,
                {
                    "to": email,
                    "subject": f"A place freed up: {event.title}",
                    "text": (
                        f"Hello {candidate.name or 'there'},\n\nGood news: a place freed up and "
                        f"it is yours: {event.title}, {_when(occurrence)}.\n\nCan't come after "
                        f"all? Cancel here:\n{base_url}/bookings/{token}/cancel\n"
                    ),
                },
            )
        return candidate
    return None


async def list_member_bookings(session: AsyncSession, user_id: int) -> list[Booking]:
    return list(
        await session.scalars(
            select(Booking)
            .where(Booking.user_id == user_id, Booking.status.in_(LIVE))
            .order_by(Booking.occurrence_start)
        )
    )


async def list_participants(session: AsyncSession, event_id: int) -> list[tuple[Booking, str]]:
    """Every live booking of the event with the email to reach them, by occurrence then age."""
    rows = await session.execute(
        select(Booking, func.coalesce(User.email, Booking.guest_email))
        .outerjoin(User, User.id == Booking.user_id)
        .where(Booking.event_id == event_id, Booking.status.in_(LIVE))
        .order_by(Booking.occurrence_start, Booking.created_at, Booking.id)
    )
    return [(booking, email) for booking, email in rows]


async def seats_taken(session: AsyncSession, event_id: int, occurrence: datetime) -> int:
    return await _confirmed_seats(session, event_id, occurrence)

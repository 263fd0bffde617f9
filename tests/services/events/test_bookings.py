"""Bookings: capacity holds under 50 simultaneous requests, the waiting list promotes
exactly one per freed seat (with a mail), guests are pending until confirmed, and
occurrences that do not exist or have started cannot be booked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.contracts.calendars import BookingRefused
from shared.models.events import Booking, BookingStatus, Calendar, Event
from shared.models.identity import User
from shared.models.jobs import Job
from shared.services.events.bookings import (
    book_guest,
    book_member,
    cancel_booking,
    confirm_guest,
)
from tests.support.factories import make_calendar, make_event, make_user, now

BASE = "http://events.localhost:8004"


async def _mails_to(session: AsyncSession, email: str) -> list[str]:
    rows = await session.scalars(
        select(Job.payload["subject"].astext).where(
            Job.kind == "events.mail", Job.payload["to"].astext == email
        )
    )
    return list(rows)


async def test_a_full_occurrence_puts_the_next_member_on_the_waiting_list_and_promotes_on_cancel(
    db: AsyncSession,
) -> None:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Workshop", now() + timedelta(days=5), capacity=1)
    ada, ben = await make_user(db), await make_user(db)
    args = {"event_id": event.id, "recurrence_id": event.starts_at, "now": now(), "base_url": BASE}

    first = await book_member(db, user=ada, **args)
    second = await book_member(db, user=ben, **args)

    assert (first.status, second.status) == (BookingStatus.CONFIRMED, BookingStatus.WAITING)
    with pytest.raises(BookingRefused, match="already booked"):
        await book_member(db, user=ada, **args)

    promoted = await cancel_booking(db, first, base_url=BASE)

    assert promoted is not None and promoted.id == second.id
    assert promoted.status == BookingStatus.CONFIRMED
    assert "A place freed up: Workshop" in await _mails_to(db, ben.email)
    assert "Waiting list: Workshop" in await _mails_to(db, ben.email)


async def test_a_guest_is_pending_until_the_link_is_confirmed(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Talk", now() + timedelta(days=5), capacity=5)

    booking = await book_guest(
        db,
        event_id=event.id,
        recurrence_id=event.starts_at,
        name="Guest",
        email="Guest@Example.test",
        now=now(),
        base_url=BASE,
    )

    assert booking.status == BookingStatus.PENDING
    assert await _mails_to(db, "guest@example.test") == ["Confirm your place: Talk"]
    assert await confirm_guest(db, booking, base_url=BASE) == BookingStatus.CONFIRMED
    assert "You're booked: Talk" in await _mails_to(db, "guest@example.test")


@pytest.mark.parametrize("case", ["no such occurrence", "started", "cancelled occurrence"])
async def test_occurrences_that_cannot_be_booked(db: AsyncSession, case: str) -> None:
    calendar = await make_calendar(db)
    start = now() + (timedelta(hours=-1) if case == "started" else timedelta(days=2))
    event = await make_event(db, calendar, "Swim", start, capacity=3, rrule="FREQ=DAILY;COUNT=3")
    user = await make_user(db)
    when = start + timedelta(minutes=7) if case == "no such occurrence" else start
    if case == "cancelled occurrence":
        from shared.services.events.editing import cancel_occurrence

        await cancel_occurrence(db, event, start.astimezone(UTC))
    message = "already started" if case == "started" else "no such occurrence"
    with pytest.raises(BookingRefused, match=message):
        await book_member(
            db,
            event_id=event.id,
            recurrence_id=when.astimezone(UTC),
            user=user,
            now=now(),
            base_url=BASE,
        )


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Real, committed transactions (concurrency needs them), cleaned up afterwards."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    yield sessions
    async with sessions() as session:
        await session.execute(delete(Calendar).where(Calendar.slug == "concurrency-test"))
        await session.execute(delete(User).where(User.email.like("%@concurrency.test")))
        await session.execute(
            delete(Job).where(
                Job.kind == "events.mail", Job.payload["to"].astext.like("%@concurrency.test")
            )
        )
        await session.commit()


@pytest.mark.slow
async def test_fifty_simultaneous_bookings_for_ten_places(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed() as session:
        calendar = Calendar(slug="concurrency-test", name="Concurrency")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        event = Event(
            calendar=calendar,
            slug="rush",
            title="Rush",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=10,
            status="published",
            overrides=[],
        )
        users = [
            User(username=f"rush{n}", display_name=f"Rush {n}", email=f"rush{n}@concurrency.test")
            for n in range(50)
        ]
        session.add_all([calendar, event, *users])
        await session.commit()

    async def book(user: User) -> None:
        async with committed() as session:
            await book_member(
                session,
                event_id=event.id,
                recurrence_id=start,
                user=user,
                now=datetime.now(UTC),
                base_url=BASE,
            )
            await session.commit()

    await asyncio.gather(*(book(user) for user in users))

    async def counts() -> dict[str, int]:
        async with committed() as session:
            rows = await session.execute(
                select(Booking.status, func.count())
                .where(Booking.event_id == event.id)
                .group_by(Booking.status)
            )
            return {status: count for status, count in rows}

    assert await counts() == {"confirmed": 10, "waiting": 40}

    async with committed() as session:
        booked = await session.scalar(
            select(Booking)
            .where(Booking.event_id == event.id, Booking.status == "confirmed")
            .limit(1)
        )
        assert booked is not None
        await cancel_booking(session, booked, base_url=BASE)
        await session.commit()

    assert await counts() == {"confirmed": 10, "waiting": 39, "cancelled": 1}

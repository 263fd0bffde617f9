"""Upcoming events (the fragment, the home page), publishing and announcing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import TicketSeats
from shared.contracts.dtos import EventSummary
from shared.contracts.events import EventPublished, record
from shared.models.events import Calendar, Event, EventStatus
from shared.services.events import tickets
from shared.services.events.member import MemberEvents
from shared.services.events.recurrence import next_occurrence


class SqlEventsService(MemberEvents):
    async def list_upcoming_events(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        limit: int = 20,
        container_type: str | None = None,
        container_id: int | None = None,
    ) -> list[EventSummary]:
        query = (
            select(Event)
            .join(Event.calendar)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Calendar.is_private.is_(False),
                or_(Event.rrule.is_not(None), Event.ends_at > now),
            )
        )
        if container_type is not None:
            query = query.where(
                Event.calendar_id.in_(
                    select(Calendar.id).where(
                        Calendar.container_type == container_type,
                        Calendar.container_id == container_id,
                    )
                )
            )
        events = await session.scalars(query)
        upcoming = [summary for event in events if (summary := _next(event, now)) is not None]
        upcoming.sort(key=lambda summary: (summary.starts_at, summary.id))
        return upcoming[:limit]

    async def get_event_summary(
        self, session: AsyncSession, event_id: int, *, now: datetime
    ) -> EventSummary | None:
        event = await session.scalar(
            select(Event)
            .join(Event.calendar)
            .where(
                Event.id == event_id,
                Event.status == EventStatus.PUBLISHED,
                Calendar.is_private.is_(False),
            )
        )
        return _next(event, now) if event is not None else None

    async def publish_event(self, session: AsyncSession, event_id: int) -> bool:
        event = await session.get(Event, event_id)
        if event is None:
            return False
        event.status = EventStatus.PUBLISHED
        await session.flush()
        # Its handlers federate it (inside the transaction) and drop the
        # upcoming-events fragments (after the commit).
        record(session, EventPublished(event.id))
        return True

    async def announce_event(self, session: AsyncSession, event_id: int) -> bool:
        event = await session.get(Event, event_id)
        if event is None or event.status != EventStatus.PUBLISHED:
            return False
        record(session, EventPublished(event.id))
        return True

    async def get_ticket_seats(
        self,
        session: AsyncSession,
        ticket_type_ids: Iterable[int],
        *,
        now: datetime,
        lock: bool = False,
    ) -> dict[int, TicketSeats]:
        return await tickets.ticket_seats(session, ticket_type_ids, now=now, lock=lock)


def _next(event: Event, now: datetime) -> EventSummary | None:
    """The event as it next happens (a series moves on by itself); None when it is over."""
    occurrence = next_occurrence(event, now)
    if occurrence is None:
        return None
    return EventSummary(
        id=event.id,
        slug=event.slug,
        title=event.title,
        calendar_slug=event.calendar.slug,
        calendar_name=event.calendar.name,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        time_zone=event.time_zone,
        location=event.location,
        is_recurring=bool(event.rrule),
    )

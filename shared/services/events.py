"""Events reads: upcoming occurrences, recurring events expanded by their RRULE."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import EventSummary
from shared.contracts.events import EventPublished, record
from shared.models.events import Calendar, Event, EventStatus


def next_occurrence(event: Event, now: datetime) -> datetime | None:
    """The start of the first occurrence that has not ended by `now`, or None.

    Recurrences are expanded in the event's own zone so "every Saturday at
    10:00" stays at 10:00 local time across daylight-saving changes.
    """
    duration = event.ends_at - event.starts_at
    if not event.rrule:
        return event.starts_at if event.ends_at > now else None
    zone = ZoneInfo(event.time_zone)
    local_start = event.starts_at.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(event.rrule, dtstart=local_start)
    after = (now - duration).astimezone(zone).replace(tzinfo=None)
    upcoming = rule.after(after, inc=False)
    return upcoming.replace(tzinfo=zone) if upcoming else None


class SqlEventsService:
    async def list_upcoming_events(
        self,
        session: AsyncSession,
        *,
        now: datetime,
        limit: int = 20,
        container_type: str | None = None,
        container_id: int | None = None,
    ) -> list[EventSummary]:
        query = select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            or_(Event.rrule.is_not(None), Event.ends_at > now),
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
        upcoming: list[EventSummary] = []
        for event in events:
            start = next_occurrence(event, now)
            if start is None:
                continue
            upcoming.append(
                EventSummary(
                    id=event.id,
                    slug=event.slug,
                    title=event.title,
                    calendar_slug=event.calendar.slug,
                    calendar_name=event.calendar.name,
                    starts_at=start,
                    ends_at=start + (event.ends_at - event.starts_at),
                    time_zone=event.time_zone,
                    location=event.location,
                    is_recurring=bool(event.rrule),
                )
            )
        upcoming.sort(key=lambda summary: (summary.starts_at, summary.id))
        return upcoming[:limit]

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

"""Reading calendars and events for pages, feeds and widgets: what a visitor may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import any_, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import OccurrenceRecord
from shared.models.events import Calendar, Event, EventStatus
from shared.services.events.recurrence import occurrences_between


async def get_calendar(session: AsyncSession, slug: str) -> Calendar | None:
    return await session.scalar(select(Calendar).where(Calendar.slug == slug))


async def get_public_calendar(session: AsyncSession, slug: str) -> Calendar | None:
    """The calendar if anyone may see it; None for an unknown or private one."""
    calendar = await get_calendar(session, slug)
    return calendar if calendar is not None and not calendar.is_private else None


async def list_calendars(session: AsyncSession, *, owner_id: int | None = None) -> list[Calendar]:
    """Public calendars by name; with `owner_id`, that member's (private ones too)."""
    query = select(Calendar).order_by(Calendar.name, Calendar.id)
    if owner_id is None:
        query = query.where(Calendar.is_private.is_(False))
    else:
        query = query.where(Calendar.owner_id == owner_id)
    return list(await session.scalars(query))


async def get_event(session: AsyncSession, calendar: Calendar, slug: str) -> Event | None:
    return await session.scalar(
        select(Event).where(Event.calendar_id == calendar.id, Event.slug == slug)
    )


async def list_events(
    session: AsyncSession,
    *,
    calendar_id: int | None = None,
    tag: str | None = None,
    event_ids: Sequence[int] | None = None,
    published_only: bool = True,
) -> list[Event]:
    """Events of public calendars (or of one calendar, or with one tag), oldest first."""
    query = select(Event).join(Event.calendar).order_by(Event.starts_at, Event.id)
    if published_only:
        query = query.where(Event.status == EventStatus.PUBLISHED)
    if calendar_id is not None:
        query = query.where(Event.calendar_id == calendar_id)
    else:
        query = query.where(Calendar.is_private.is_(False))
    if tag is not None:
        query = query.where(literal(tag) == any_(Event.tags))
    if event_ids is not None:
        query = query.where(Event.id.in_(event_ids))
    return list((await session.scalars(query)).unique())


async def list_occurrences(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    calendar_id: int | None = None,
    tag: str | None = None,
) -> list[OccurrenceRecord]:
    """Occurrences of published events overlapping [start, end), soonest first."""
    query = (
        select(Event)
        .join(Event.calendar)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at < end,
            or_(Event.rrule.is_not(None), Event.ends_at > start),
        )
    )
    if calendar_id is not None:
        query = query.where(Event.calendar_id == calendar_id)
    else:
        query = query.where(Calendar.is_private.is_(False))
    if tag is not None:
        query = query.where(literal(tag) == any_(Event.tags))
    events = list((await session.scalars(query)).unique())
    return occurrences_between(events, start, end)


async def list_tags(session: AsyncSession) -> list[str]:
    """Tags of published events in public calendars, alphabetically."""
    rows = await session.scalars(
        select(Event.tags)
        .join(Event.calendar)
        .where(Event.status == EventStatus.PUBLISHED, Calendar.is_private.is_(False))
    )
    return sorted({tag for tags in rows for tag in tags})

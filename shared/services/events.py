"""Events reads: upcoming occurrences, recurring events expanded by their RRULE."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.dtos import EventSummary
from shared.contracts.events import EventPublished, record
from shared.models.events import Calendar, Event, EventStatus

log = logging.getLogger(__name__)


# Expanding a rule walks it from its first occurrence: bound that walk, so
# one rule (FREQ=SECONDLY from years ago, or a malformed one) costs at most
# this many steps and is skipped, not a page that never renders or a 500.
MAX_OCCURRENCES_WALKED = 5000
_TOO_FREQUENT = re.compile(r"FREQ\s*=\s*(SECONDLY|MINUTELY)", re.IGNORECASE)


def next_occurrence(event: Event, now: datetime) -> datetime | None:
    """The start of the first occurrence that has not ended by `now`, or None.

    Recurrences are expanded in the event's own zone so "every Saturday at
    10:00" stays at 10:00 local time across daylight-saving changes. A rule
    that cannot be expanded cheaply (malformed, more often than hourly, or
    more than MAX_OCCURRENCES_WALKED occurrences before `now`) counts as no
    upcoming occurrence, with a warning naming the event.
    """
    duration = event.ends_at - event.starts_at
    if not event.rrule:
        return event.starts_at if event.ends_at > now else None
    if _TOO_FREQUENT.search(event.rrule):
        log.warning("event %s: rule %r repeats too often to list", event.id, event.rrule)
        return None
    zone = ZoneInfo(event.time_zone)
    local_start = event.starts_at.astimezone(zone).replace(tzinfo=None)
    after = (now - duration).astimezone(zone).replace(tzinfo=None)
    try:
        rule = rrulestr(event.rrule, dtstart=local_start)
        for walked, occurrence in enumerate(rule):
            if occurrence > after:
                return occurrence.replace(tzinfo=zone)
            if walked >= MAX_OCCURRENCES_WALKED:
                log.warning("event %s: over %d occurrences to walk", event.id, walked)
                return None
    except (ValueError, TypeError, OverflowError) as exc:
        log.warning("event %s: rule %r cannot be expanded (%s)", event.id, event.rrule, exc)
    return None


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

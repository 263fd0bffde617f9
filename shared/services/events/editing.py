"""Writing calendars and events: create, edit, cancel, and one occurrence cancelled or
moved (by its RECURRENCE-ID) or a series split at "this and following".

Every change to a published event records a domain event: its handlers federate
it (Create / Update / Delete of an Event) and drop the cached widgets.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import InvalidEvent
from shared.contracts.dtos import UserRecord
from shared.contracts.events import EventCancelled, EventChanged, EventPublished, record
from shared.models.events import Calendar, Event, EventOverride, EventStatus, OverrideKind
from shared.services.events.forms import EventInput
from shared.services.events.recurrence import check_rule, find_occurrence

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# First path segments the events app serves itself: no calendar may be named so.
RESERVED_SLUGS = frozenset(
    {
        "auth",
        "bookings",
        "feeds",
        "healthz",
        "internal",
        "manage",
        "media",
        "readyz",
        "static",
        "tickets",
        "widgets",
        "actor",
        "inbox",
        "outbox",
        "objects",
        "users",
    }
)


def slugify(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-") or "event"


def can_manage(calendar: Calendar, viewer: UserRecord | None) -> bool:
    """Owners manage their calendars; admins manage every calendar."""
    return viewer is not None and (viewer.is_admin or viewer.id == calendar.owner_id)


async def _free_slug(
    session: AsyncSession, model: type[Calendar | Event], base: str, **where: int
) -> str:
    taken = set(
        await session.scalars(
            select(model.slug).filter_by(**where).where(model.slug.like(f"{base}%"))
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


async def create_calendar(
    session: AsyncSession,
    *,
    owner_id: int,
    name: str,
    description: str = "",
    is_private: bool = False,
    container: tuple[str, int] | None = None,
) -> Calendar:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidEvent("A calendar needs a name (at most 200 characters).")
    base = slugify(name, 60)
    slug = await _free_slug(
        session, Calendar, f"{base}-calendar" if base in RESERVED_SLUGS else base
    )
    calendar = Calendar(
        slug=slug,
        name=name,
        description=description.strip()[:5000],
        owner_id=owner_id,
        is_private=is_private,
        container_type=container[0] if container else None,
        container_id=container[1] if container else None,
    )
    session.add(calendar)
    await session.flush()
    return calendar


async def update_calendar(
    session: AsyncSession, calendar: Calendar, *, name: str, description: str, is_private: bool
) -> None:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidEvent("A calendar needs a name (at most 200 characters).")
    calendar.name, calendar.description = name, description.strip()[:5000]
    calendar.is_private = is_private
    await session.flush()


def _apply(event: Event, data: EventInput) -> None:
    event.title = data.title
    event.description = data.description
    event.starts_at = data.starts_at
    event.ends_at = data.ends_at
    event.time_zone = data.time_zone
    event.all_day = data.all_day
    event.location = data.location
    event.map_url = data.map_url
    event.online_url = data.online_url
    event.tags = list(data.tags)
    event.capacity = data.capacity
    event.rrule = data.rrule


async def create_event(
    session: AsyncSession, calendar: Calendar, data: EventInput, *, publish: bool
) -> Event:
    slug = await _free_slug(session, Event, slugify(data.title), calendar_id=calendar.id)
    event = Event(calendar=calendar, slug=slug, overrides=[])
    _apply(event, data)
    event.status = EventStatus.PUBLISHED if publish else EventStatus.DRAFT
    session.add(event)
    await session.flush()
    if publish:
        record(session, EventPublished(event.id))
    return event


async def update_event(
    session: AsyncSession, event: Event, data: EventInput, *, publish: bool
) -> None:
    was_published = event.status == EventStatus.PUBLISHED
    _apply(event, data)
    # Overrides name occurrences of the old rule; those it no longer has are dropped.
    event.overrides = [
        o
        for o in event.overrides
        if find_occurrence(event, o.recurrence_id) or o.kind == OverrideKind.CANCELLED
    ]
    if publish:
        event.status = EventStatus.PUBLISHED
    await session.flush()
    if was_published:
        record(session, EventChanged(event.id))
    elif publish:
        record(session, EventPublished(event.id))


async def set_event_image(session: AsyncSession, event: Event, src: str) -> None:
    event.image = src
    await session.flush()
    if event.status == EventStatus.PUBLISHED:
        record(session, EventChanged(event.id))


async def cancel_event(session: AsyncSession, event: Event) -> None:
    was_published = event.status == EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    await session.flush()
    if was_published:
        record(session, EventCancelled(event.id))


def _override(event: Event, recurrence_id: datetime) -> EventOverride:
    for override in event.overrides:
        if override.recurrence_id == recurrence_id:
            return override
    override = EventOverride(recurrence_id=recurrence_id, kind=OverrideKind.CANCELLED)
    event.overrides.append(override)
    return override


async def cancel_occurrence(session: AsyncSession, event: Event, recurrence_id: datetime) -> None:
    """Cancel one occurrence of a series: an EXDATE in the feed, gone from the pages."""
    if not event.rrule or find_occurrence(event, recurrence_id) is None:
        raise InvalidEvent("This event has no such occurrence to cancel.")
    override = _override(event, recurrence_id)
    override.kind, override.starts_at, override.ends_at = OverrideKind.CANCELLED, None, None
    await session.flush()
    if event.status == EventStatus.PUBLISHED:
        record(session, EventChanged(event.id))


async def move_occurrence(
    session: AsyncSession,
    event: Event,
    recurrence_id: datetime,
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    """Move one occurrence: an overriding VEVENT with its RECURRENCE-ID in the feed."""
    if not event.rrule or find_occurrence(event, recurrence_id) is None:
        raise InvalidEvent("This event has no such occurrence to move.")
    if ends_at <= starts_at:
        raise InvalidEvent("The event ends before it starts: the end must be after the start.")
    override = _override(event, recurrence_id)
    override.kind, override.starts_at, override.ends_at = OverrideKind.MOVED, starts_at, ends_at
    await session.flush()
    if event.status == EventStatus.PUBLISHED:
        record(session, EventChanged(event.id))


async def split_series(
    session: AsyncSession, event: Event, recurrence_id: datetime, data: EventInput
) -> Event:
    """ "This and following": the series ends before `recurrence_id`, and a new series
    (with the edited fields) starts there. Returns the new event."""
    if not event.rrule or find_occurrence(event, recurrence_id) is None:
        raise InvalidEvent("This event has no such occurrence to change from.")
    if recurrence_id == event.starts_at:
        raise InvalidEvent("That is the first occurrence: edit the whole series instead.")
    until = (recurrence_id - timedelta(seconds=1)).strftime("%Y%m%dT%H%M%SZ")
    kept = [p for p in event.rrule.split(";") if not p.startswith(("COUNT=", "UNTIL="))]
    event.rrule = check_rule(";".join([*kept, f"UNTIL={until}"]), event.starts_at)
    event.overrides = [o for o in event.overrides if o.recurrence_id < recurrence_id]
    following = await create_event(
        session, event.calendar, data, publish=event.status == EventStatus.PUBLISHED
    )
    following.split_from_id = event.id
    await session.flush()
    if event.status == EventStatus.PUBLISHED:
        record(session, EventChanged(event.id))
    return following


async def count_events(session: AsyncSession, calendar: Calendar) -> int:
    return await session.scalar(select(func.count()).where(Event.calendar_id == calendar.id)) or 0

"""Upcoming events: past ones drop off, recurring ones show their next occurrence."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from shared.services.events import SqlEventsService
from tests.support.factories import make_calendar, make_event, now

events = SqlEventsService()


async def test_upcoming_events_are_published_future_ones_soonest_first(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    later = await make_event(db, calendar, "Later", now() + timedelta(days=9))
    sooner = await make_event(db, calendar, "Sooner", now() + timedelta(days=2))
    await make_event(db, calendar, "Over", now() - timedelta(days=2))
    await make_event(db, calendar, "Draft", now() + timedelta(days=1), status="draft")
    await make_event(db, calendar, "Cancelled", now() + timedelta(days=1), status="cancelled")

    upcoming = await events.list_upcoming_events(db, now=now())

    assert [event.title for event in upcoming] == [sooner.title, later.title]
    assert upcoming[0].calendar_name == "Community"


async def test_an_event_in_progress_is_still_upcoming(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    await make_event(db, calendar, "Happening", now() - timedelta(hours=1), hours=3)
    assert [e.title for e in await events.list_upcoming_events(db, now=now())] == ["Happening"]


async def test_a_recurring_event_shows_its_next_occurrence(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    first = datetime(2026, 1, 3, 10, 0, tzinfo=ZoneInfo("Europe/London"))  # a Saturday
    await make_event(
        db, calendar, "Repair café", first, rrule="FREQ=WEEKLY", time_zone="Europe/London"
    )
    # Wednesday 1 July 2026, summer time: the next one is Saturday 4 July at 10:00 local.
    wednesday = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

    [occurrence] = await events.list_upcoming_events(db, now=wednesday)

    local = occurrence.starts_at.astimezone(ZoneInfo("Europe/London"))
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-07-04", 10, 0)
    assert occurrence.ends_at - occurrence.starts_at == timedelta(hours=2)
    assert occurrence.is_recurring


async def test_a_finished_series_is_not_upcoming(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    first = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)
    await make_event(db, calendar, "Short run", first, rrule="FREQ=WEEKLY;COUNT=3")
    assert await events.list_upcoming_events(db, now=datetime(2026, 3, 1, tzinfo=UTC)) == []


async def test_one_bad_or_endless_rule_does_not_break_the_list(db: AsyncSession) -> None:
    """A malformed rule, FREQ=SECONDLY from years ago, or one with too many occurrences
    to walk is skipped (quickly); the other events are still listed."""
    calendar = await make_calendar(db)
    long_ago = datetime(2016, 1, 1, 10, 0, tzinfo=UTC)
    await make_event(db, calendar, "Broken", long_ago, rrule="FREQ=FORTNIGHTLY;BYDAY=XX")
    await make_event(db, calendar, "Every second", long_ago, rrule="FREQ=SECONDLY")
    await make_event(db, calendar, "Every hour", long_ago, rrule="FREQ=HOURLY")
    fine = await make_event(db, calendar, "Fine", now() + timedelta(days=1))

    started = time.monotonic()
    upcoming = await events.list_upcoming_events(db, now=now())

    assert [event.title for event in upcoming] == [fine.title]
    assert time.monotonic() - started < 2

"""Editing a series: "this and following" ends the series before the occurrence and
starts a new one there with the edits; occurrences before it are untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import InvalidEvent
from shared.services.events.editing import create_calendar, split_series
from shared.services.events.forms import EventInput
from shared.services.events.recurrence import occurrences_between
from tests.support.factories import make_calendar, make_event, make_user

LONDON = ZoneInfo("Europe/London")


async def test_this_and_following_splits_the_series(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    first = datetime(2027, 1, 5, 18, tzinfo=LONDON)
    event = await make_event(
        db, calendar, "Band", first, rrule="FREQ=WEEKLY;COUNT=10", time_zone="Europe/London"
    )
    fifth = (first + timedelta(weeks=4)).astimezone(UTC)
    later = datetime(2027, 2, 2, 19, 30, tzinfo=LONDON)
    data = EventInput(
        title="Band (new hall)",
        description="",
        starts_at=later,
        ends_at=later + timedelta(hours=2),
        time_zone="Europe/London",
        all_day=False,
        location="New hall",
        map_url="",
        online_url="",
        tags=(),
        capacity=None,
        rrule="FREQ=WEEKLY;COUNT=6",
    )

    following = await split_series(db, event, fifth, data)

    window = (first - timedelta(days=1), first + timedelta(weeks=20))
    before = occurrences_between([event], *window)
    after = occurrences_between([following], *window)
    assert len(before) == 4 and before[-1].starts_at < fifth
    assert len(after) == 6 and after[0].starts_at == later and after[0].title == "Band (new hall)"
    assert following.split_from_id == event.id
    with pytest.raises(InvalidEvent, match="first occurrence"):
        await split_series(db, event, first.astimezone(UTC), data)


async def test_a_calendar_is_never_named_like_one_of_the_apps_own_paths(db: AsyncSession) -> None:
    owner = await make_user(db)
    feeds = await create_calendar(db, owner_id=owner.id, name="Feeds")
    again = await create_calendar(db, owner_id=owner.id, name="Feeds")
    assert (feeds.slug, again.slug) == ("feeds-calendar", "feeds-calendar-2")

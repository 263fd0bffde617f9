"""Recurrence: series keep their local time across DST, overrides cancel or move one
occurrence, and rules that could stall a page are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import InvalidEvent
from shared.models.events import EventOverride
from shared.services.events.reading import list_occurrences
from shared.services.events.recurrence import (
    check_rule,
    find_occurrence,
    next_occurrence,
    occurrences_between,
)
from tests.support.factories import add, make_calendar, make_event

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("Europe/London", datetime(2026, 1, 8, 19)),  # BST from 29 March, GMT from 25 Oct
        ("America/New_York", datetime(2026, 1, 8, 19)),  # EDT from 8 March, EST from 1 Nov
        ("Australia/Sydney", datetime(2026, 1, 8, 19)),  # AEST from 5 April, AEDT from 4 Oct
    ],
)
async def test_a_weekly_series_keeps_its_local_time_across_both_dst_changes(
    db: AsyncSession, zone: str, first: datetime
) -> None:
    tz = ZoneInfo(zone)
    calendar = await make_calendar(db)
    event = await make_event(
        db,
        calendar,
        "Choir",
        first.replace(tzinfo=tz),
        rrule="FREQ=WEEKLY;COUNT=52",
        time_zone=zone,
    )

    found = occurrences_between([event], YEAR_START, YEAR_END + timedelta(days=30))

    assert len(found) == 52
    assert {
        (o.starts_at.astimezone(tz).hour, o.starts_at.astimezone(tz).minute) for o in found
    } == {(19, 0)}
    # The UTC offsets really changed: it is the local time that held.
    assert len({o.starts_at.utcoffset() for o in found}) == 2
    assert {o.starts_at.astimezone(tz).weekday() for o in found} == {3}


async def test_a_monthly_last_friday_series(db: AsyncSession) -> None:
    tz = ZoneInfo("Europe/London")
    calendar = await make_calendar(db)
    event = await make_event(
        db,
        calendar,
        "Social",
        datetime(2026, 1, 30, 20, tzinfo=tz),
        rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        time_zone="Europe/London",
    )

    days = [
        o.starts_at.astimezone(tz).date().isoformat()
        for o in occurrences_between([event], YEAR_START, YEAR_END)
    ]

    assert days[:4] == ["2026-01-30", "2026-02-27", "2026-03-27", "2026-04-24"]
    assert days[-1] == "2026-12-25"


async def test_a_cancelled_occurrence_is_gone_and_a_moved_one_is_at_its_new_time(
    db: AsyncSession,
) -> None:
    tz = ZoneInfo("Europe/London")
    calendar = await make_calendar(db)
    first = datetime(2026, 3, 5, 19, tzinfo=tz)
    event = await make_event(
        db, calendar, "Club", first, rrule="FREQ=WEEKLY;COUNT=6", time_zone="Europe/London"
    )
    cancelled = datetime(2026, 3, 12, 19, tzinfo=tz).astimezone(UTC)
    moved = datetime(2026, 4, 2, 19, tzinfo=tz).astimezone(UTC)
    new_start = datetime(2026, 4, 3, 18, 30, tzinfo=tz)
    await add(
        db,
        EventOverride(event_id=event.id, recurrence_id=cancelled, kind="cancelled"),
        EventOverride(
            event_id=event.id,
            recurrence_id=moved,
            kind="moved",
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
        ),
    )
    await db.refresh(event, ["overrides"])

    found = await list_occurrences(db, YEAR_START, YEAR_END, calendar_id=calendar.id)

    starts = [o.starts_at.astimezone(tz).strftime("%m-%d %H:%M") for o in found]
    assert starts == ["03-05 19:00", "03-19 19:00", "03-26 19:00", "04-03 18:30", "04-09 19:00"]
    [shifted] = [o for o in found if o.moved]
    assert shifted.recurrence_id == moved
    assert find_occurrence(event, cancelled) is None
    assert find_occurrence(event, moved) == shifted


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY;COUNT=5", "at most daily"),
        ("FREQ=HOURLY;COUNT=5", "at most daily"),
        ("FREQ=WEEKLY", "needs an end"),
        ("FREQ=DAILY;COUNT=1000000", "at most 1000"),
        ("FREQ=DAILY;UNTIL=20990101T000000Z", "ten years"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z", "not both"),
        ("FREQ=DAILY;COUNT=3;BYHOUR=1,2,3", "BYHOUR"),
        ("not a rule at all", "not an RFC 5545"),
    ],
)
def test_rules_that_could_stall_expansion_are_refused(rule: str, message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        check_rule(rule, datetime(2026, 1, 1, tzinfo=UTC))


async def test_an_old_too_frequent_rule_lists_nothing_instead_of_stalling(db: AsyncSession) -> None:
    calendar = await make_calendar(db)
    event = await make_event(
        db, calendar, "Spam", datetime(2000, 1, 1, tzinfo=UTC), rrule="FREQ=SECONDLY"
    )
    assert next_occurrence(event, datetime(2026, 1, 1, tzinfo=UTC)) is None
    assert occurrences_between([event], YEAR_START, YEAR_END) == []

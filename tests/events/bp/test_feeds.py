"""Feeds: each parses with icalendar, carries the series as RRULE + EXDATE + overrides,
and a reader's expansion of it is exactly what our month pages show for a year."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from quart.typing import TestClientProtocol as Client
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Calendar, EventOverride
from tests.events.bp.conftest import EventsApp, csrf_of, viewer_of
from tests.support.factories import add, make_calendar, make_event, make_user

LONDON = ZoneInfo("Europe/London")


def _months(first: date, count: int) -> list[date]:
    months, day = [], first
    for _ in range(count):
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


async def _page_occurrences(
    client: Client, first: date, tag: str | None = None
) -> set[tuple[str, datetime]]:
    found: set[tuple[str, datetime]] = set()
    for month in _months(first, 12):
        query = f"/?view=month&date={month.isoformat()}" + (f"&tag={tag}" if tag else "")
        html = await (await client.get(query)).get_data(as_text=True)
        for slug, start in re.findall(
            r'class="event-month-grid__event" href="/[^/]+/([^/]+)/[^"]*"><time datetime="([^"]+)"',
            html,
        ):
            found.add((slug, datetime.fromisoformat(start).astimezone(UTC)))
    return found


def _feed_occurrences(body: bytes, start: datetime, end: datetime) -> set[tuple[str, datetime]]:
    calendar = icalendar.Calendar.from_ical(body)
    found = set()
    for component in recurring_ical_events.of(calendar).between(start, end):
        slug = str(component["URL"]).rstrip("/").rsplit("/", 1)[1]
        found.add((slug, component["DTSTART"].dt.astimezone(UTC)))
    return found


async def _demo_calendar(db: AsyncSession) -> tuple[Calendar, date]:
    calendar = await make_calendar(db, "Town")
    this_year = datetime.now(UTC).year
    first = date(this_year + 1, 1, 1)
    weekly = await make_event(
        db,
        calendar,
        "Choir",
        datetime(this_year + 1, 1, 7, 19, tzinfo=LONDON),
        rrule="FREQ=WEEKLY;COUNT=60",
        time_zone="Europe/London",
        slug="choir",
        tags=["music"],
    )
    await make_event(
        db,
        calendar,
        "Social",
        datetime(this_year + 1, 1, 29, 20, tzinfo=LONDON),
        rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=14",
        time_zone="Europe/London",
        slug="social",
    )
    # DTSTART off the rule (a Monday, for Tuesdays): RFC 5545 makes it the first.
    await make_event(
        db,
        calendar,
        "Odd",
        datetime(this_year + 1, 2, 1, 9, tzinfo=LONDON),
        rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=5",
        time_zone="Europe/London",
        slug="odd",
    )
    await make_event(
        db,
        calendar,
        "Fair",
        datetime(this_year + 1, 6, 6, 11, tzinfo=LONDON),
        time_zone="Europe/London",
        slug="fair",
        tags=["music"],
    )
    cancelled = datetime(this_year + 1, 3, 11, 19, tzinfo=LONDON).astimezone(UTC)
    moved = datetime(this_year + 1, 4, 1, 19, tzinfo=LONDON).astimezone(UTC)
    new_start = datetime(this_year + 1, 4, 2, 18, tzinfo=LONDON)
    await add(
        db,
        EventOverride(event_id=weekly.id, recurrence_id=cancelled, kind="cancelled"),
        EventOverride(
            event_id=weekly.id,
            recurrence_id=moved,
            kind="moved",
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=2),
        ),
    )
    await db.refresh(weekly, ["overrides"])
    return calendar, first


async def test_a_calendar_feed_is_a_series_with_exdate_and_override_matching_the_pages(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, first = await _demo_calendar(db)
    client = await events_client()

    response = await client.get(f"/{calendar.slug}/feed.ics")
    body = await response.get_data()
    parsed = icalendar.Calendar.from_ical(body)

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "REFRESH-INTERVAL" in parsed and "X-PUBLISHED-TTL" in parsed
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/London"]
    choirs = [v for v in parsed.walk("VEVENT") if str(v["URL"]).endswith("/choir/")]
    master = next(v for v in choirs if "RRULE" in v)
    [override] = [v for v in choirs if "RECURRENCE-ID" in v]
    assert "EXDATE" in master  # the cancelled one, not a flattened list
    assert override["DTSTART"].dt.hour == 18 and override["UID"] == master["UID"]
    again = icalendar.Calendar.from_ical(
        await (await client.get(f"/{calendar.slug}/feed.ics")).get_data()
    )
    assert {v["UID"] for v in again.walk("VEVENT")} == {v["UID"] for v in parsed.walk("VEVENT")}

    window = (
        datetime.combine(first, datetime.min.time(), LONDON),
        datetime.combine(_months(first, 13)[-1], datetime.min.time(), LONDON),
    )
    from_feed = _feed_occurrences(body, *window)
    from_pages = await _page_occurrences(client, first)
    assert from_feed == from_pages
    assert len([s for s in from_pages if s[0] == "choir"]) == 51  # 52 weeks less the cancelled one
    assert any(
        slug == "choir" and start == datetime(first.year, 4, 2, 17, tzinfo=UTC)
        for slug, start in from_pages
    )


async def test_the_site_and_tag_feeds_match_the_pages(
    db: AsyncSession, events_client: EventsApp
) -> None:
    _, first = await _demo_calendar(db)
    client = await events_client()
    window = (
        datetime.combine(first, datetime.min.time(), LONDON),
        datetime.combine(_months(first, 13)[-1], datetime.min.time(), LONDON),
    )

    site = await (await client.get("/feeds/all.ics")).get_data()
    tag = await (await client.get("/feeds/tags/music.ics")).get_data()

    assert _feed_occurrences(site, *window) == await _page_occurrences(client, first)
    tagged = _feed_occurrences(tag, *window)
    assert tagged == await _page_occurrences(client, first, tag="music")
    assert {slug for slug, _ in tagged} == {"choir", "fair"}


async def test_the_feeds_page_offers_webcal_and_https(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, _ = await _demo_calendar(db)
    html = await (await (await events_client()).get("/feeds/")).get_data(as_text=True)
    assert f'href="webcal://localhost:8004/{calendar.slug}/feed.ics"' in html or "webcal://" in html
    assert f'href="/{calendar.slug}/feed.ics"' in html


async def test_a_private_feed_opens_by_its_token_until_reset(
    db: AsyncSession, events_client: EventsApp
) -> None:
    member = await make_user(db)
    client = await events_client(viewer_of(member))
    token = await csrf_of(client, "/feeds/")

    first = await (await client.post("/feeds/private", form={"csrf_token": token})).get_data(
        as_text=True
    )
    url = re.search(r"<code>https?://[^/]+(/feeds/private/[^<]+\.ics)</code>", first)[1]  # type: ignore[index]
    assert (await client.get(url)).status_code == 200
    parsed = icalendar.Calendar.from_ical(await (await client.get(url)).get_data())
    assert parsed["X-WR-CALNAME"] == "My Rose Ash events"

    await client.post("/feeds/private", form={"csrf_token": token})

    assert (await client.get(url)).status_code == 404
    assert (await client.get("/feeds/private/not-a-real-token-at-all-000.ics")).status_code == 404

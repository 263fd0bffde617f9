"""Public pages: calendar, event, occurrence, .ics; times in the event's zone, JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Calendar
from tests.events.bp.conftest import EventsApp, viewer_of
from tests.support.factories import add, make_calendar, make_event, make_user, now


async def test_an_event_page_shows_its_time_in_its_zone_with_json_ld(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db, "Garden club")
    start = (
        (now() + timedelta(days=10))
        .astimezone(ZoneInfo("America/New_York"))
        .replace(hour=18, minute=30, second=0)
    )
    event = await make_event(
        db, calendar, "Seed swap", start, time_zone="America/New_York", location="The Hall"
    )
    client = await events_client()

    response = await client.get(f"/{calendar.slug}/{event.slug}/")

    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Seed swap" in html and "18:30" in html and "America/New_York" in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    )  # type: ignore[index]
    assert data["@type"] == "Event" and data["name"] == "Seed swap"
    assert datetime.fromisoformat(data["startDate"]) == start
    assert data["location"]["name"] == "The Hall"


async def test_add_to_calendar_is_an_ics_of_the_series(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    start = datetime(2026, 3, 5, 19, tzinfo=ZoneInfo("Europe/London"))
    event = await make_event(
        db, calendar, "Choir", start, rrule="FREQ=WEEKLY;COUNT=10", time_zone="Europe/London"
    )
    client = await events_client()

    response = await client.get(f"/{calendar.slug}/{event.slug}/event.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    parsed = icalendar.Calendar.from_ical(await response.get_data())
    [vevent] = parsed.walk("VEVENT")
    assert vevent["RRULE"]["COUNT"] == [10]
    assert parsed.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"


async def test_an_occurrence_page_and_a_cancelled_or_unknown_one(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    start = (now() + timedelta(days=3)).replace(hour=17, minute=0, second=0)
    event = await make_event(db, calendar, "Run", start, rrule="FREQ=DAILY;COUNT=5")
    client = await events_client()
    second = (start + timedelta(days=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    ok = await client.get(f"/{calendar.slug}/{event.slug}/{second}/")
    off_grid = await client.get(f"/{calendar.slug}/{event.slug}/20260101T000001Z/")
    garbage = await client.get(f"/{calendar.slug}/{event.slug}/nonsense/")

    assert ok.status_code == 200
    assert off_grid.status_code == 404 and garbage.status_code == 404


async def test_a_private_calendar_is_its_owners_only(
    db: AsyncSession, events_client: EventsApp
) -> None:
    owner = await make_user(db)
    calendar = Calendar(slug="secret-plans", name="Secret", owner_id=owner.id, is_private=True)
    await add(db, calendar)
    event = await make_event(db, calendar, "Surprise", now() + timedelta(days=2))

    stranger = await events_client()
    assert (await stranger.get("/secret-plans/")).status_code == 404
    assert (await stranger.get(f"/secret-plans/{event.slug}/")).status_code == 404
    assert (await stranger.get("/secret-plans/feed.ics")).status_code == 404
    home = await (await stranger.get("/")).get_data(as_text=True)
    assert "Surprise" not in home

    mine = await events_client(viewer_of(owner))
    assert (await mine.get(f"/secret-plans/{event.slug}/")).status_code == 200


async def test_home_has_list_week_and_month_views_and_a_tag_filter(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    day = now() + timedelta(days=1)
    await make_event(db, calendar, "Pottery", day, tags=["craft"])
    await make_event(db, calendar, "Quiz", day + timedelta(hours=3), tags=["pub"])
    client = await events_client()
    date = day.date().isoformat()

    for view in ("list", "week", "month"):
        html = await (await client.get(f"/?view={view}&date={date}")).get_data(as_text=True)
        assert "Pottery" in html and "Quiz" in html, view
    tagged = await (await client.get("/?tag=craft")).get_data(as_text=True)
    assert "Pottery" in tagged and "Quiz" not in tagged
    assert (await client.get("/?view=year")).status_code == 400
    assert (await client.get("/?date=tomorrow")).status_code == 400
    assert (await client.get("/?view=month&date=9999-12-31")).status_code == 400
    assert (await client.get("/?view=week&date=0001-01-01")).status_code == 400

"""Owners create and edit events through the form; bad input is a clear 400, other
members get a 403, and one occurrence can be cancelled, moved or split off."""

from __future__ import annotations

import io
import re
from datetime import UTC, timedelta
from typing import Any

import pytest
from PIL import Image
from quart.datastructures import FileStorage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Booking, Calendar, Event, EventOverride
from tests.events.bp.conftest import EventsApp, csrf_of, viewer_of
from tests.support.factories import add, make_event, make_user, now


async def _owned_calendar(db: AsyncSession) -> tuple[Calendar, Any]:
    owner = await make_user(db)
    calendar = Calendar(slug=f"club-{owner.id}", name="Club", owner_id=owner.id)
    await add(db, calendar)
    return calendar, owner


def _form(**fields: str) -> dict[str, str]:
    day = (now() + timedelta(days=14)).date().isoformat()
    base = {
        "title": "Repair café",
        "description": "<p>Bring <b>things</b><script>x()</script></p>",
        "start_date": day,
        "start_time": "19:00",
        "end_date": day,
        "end_time": "21:00",
        "time_zone": "Europe/London",
        "repeat": "weekly",
        "weekdays": "TU",
        "ends": "count",
        "count": "8",
        "tags": "repair, community",
        "capacity": "12",
        "publish": "1",
    }
    base.update(fields)
    return base


async def test_an_owner_creates_a_weekly_event_through_the_form(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, owner = await _owned_calendar(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, f"/{calendar.slug}/new")

    response = await client.post(f"/{calendar.slug}/new", form={**_form(), "csrf_token": token})

    assert response.status_code == 303
    event = await db.scalar(select(Event).where(Event.calendar_id == calendar.id))
    assert event is not None and event.rrule is not None
    assert {"FREQ=WEEKLY", "BYDAY=TU", "COUNT=8"} == set(event.rrule.split(";"))
    assert "<script" not in event.description and "<b>things</b>" in event.description
    assert event.tags == ["repair", "community"] and event.status == "published"
    page = await (await client.get(response.headers["Location"])).get_data(as_text=True)
    assert "Repair café" in page and "Every week on Tuesday, 8 times" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end_time": "18:00"}, "ends before it starts"),
        ({"time_zone": "Mars/Olympus_Mons"}, "not an IANA time zone"),
        ({"rrule": "FREQ=SECONDLY;COUNT=5"}, "at most daily"),
        ({"rrule": "FREQ=WEEKLY"}, "needs an end"),
        ({"rrule": "FREQ=DAILY;COUNT=1000000"}, "at most 1000"),
        ({"count": "1000000"}, "from 1 to 1000"),
        ({"start_date": "someday"}, "must be a date"),
        ({"start_date": "0001-01-01", "end_date": "0001-01-01"}, "1970 to 2200"),
        ({"title": ""}, "title is required"),
        ({"map_url": "javascript:alert(1)"}, "http(s) address"),
    ],
)
async def test_bad_input_is_a_clear_400_and_nothing_is_written(
    db: AsyncSession, events_client: EventsApp, fields: dict[str, str], message: str
) -> None:
    calendar, owner = await _owned_calendar(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, f"/{calendar.slug}/new")

    response = await client.post(
        f"/{calendar.slug}/new", form={**_form(**fields), "csrf_token": token}
    )

    assert response.status_code == 400
    assert message in await response.get_data(as_text=True)
    assert await db.scalar(select(Event).where(Event.calendar_id == calendar.id)) is None


async def test_only_the_owner_manages_a_calendar(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, _ = await _owned_calendar(db)
    other = await events_client(viewer_of(await make_user(db)))
    anonymous = await events_client()

    assert (await other.get(f"/{calendar.slug}/new")).status_code == 403
    assert (await anonymous.get(f"/{calendar.slug}/new")).status_code == 401
    token = await csrf_of(other, "/manage/")
    refused = await other.post(f"/{calendar.slug}/new", form={**_form(), "csrf_token": token})
    assert refused.status_code == 403


async def test_cancelling_and_moving_one_occurrence(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, owner = await _owned_calendar(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, f"/{calendar.slug}/new")
    created = await client.post(
        f"/{calendar.slug}/new", form={**_form(repeat="daily", count="5"), "csrf_token": token}
    )
    event = await db.scalar(select(Event).where(Event.calendar_id == calendar.id))
    assert created.status_code == 303 and event is not None
    page = await (await client.get(f"/{calendar.slug}/{event.slug}/")).get_data(as_text=True)
    keys = re.findall(rf'href="/{calendar.slug}/{event.slug}/(\d{{8}}T\d{{6}}Z)/"', page)
    assert len(keys) == 5

    cancelled = await client.post(
        f"/{calendar.slug}/{event.slug}/{keys[1]}/cancel", form={"csrf_token": token}
    )
    day = keys[2][:4] + "-" + keys[2][4:6] + "-" + keys[2][6:8]
    moved = await client.post(
        f"/{calendar.slug}/{event.slug}/{keys[2]}/move",
        form={
            "csrf_token": token,
            "start_date": day,
            "start_time": "08:00",
            "end_date": day,
            "end_time": "09:00",
        },
    )

    assert cancelled.status_code == 303 and moved.status_code == 303
    kinds = sorted(
        o.kind
        for o in await db.scalars(select(EventOverride).where(EventOverride.event_id == event.id))
    )
    assert kinds == ["cancelled", "moved"]
    assert (await client.get(f"/{calendar.slug}/{event.slug}/{keys[1]}/")).status_code == 404
    moved_page = await (await client.get(f"/{calendar.slug}/{event.slug}/{keys[2]}/")).get_data(
        as_text=True
    )
    assert "08:00" in moved_page and "Moved" in moved_page


async def test_an_owner_uploads_the_event_picture(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, owner = await _owned_calendar(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, f"/{calendar.slug}/new")
    await client.post(f"/{calendar.slug}/new", form={**_form(repeat="none"), "csrf_token": token})
    event = await db.scalar(select(Event).where(Event.calendar_id == calendar.id))
    assert event is not None
    png = io.BytesIO()
    Image.new("RGB", (800, 500), (200, 120, 40)).save(png, format="PNG")
    png.seek(0)

    uploaded = await client.post(
        f"/{calendar.slug}/{event.slug}/image",
        form={"csrf_token": token},
        files={"image": FileStorage(png, filename="poster.png", content_type="image/png")},
    )
    not_image = await client.post(
        f"/{calendar.slug}/{event.slug}/image",
        form={"csrf_token": token},
        files={"image": FileStorage(io.BytesIO(b"plain text"), filename="x.png")},
    )

    assert uploaded.status_code == 303 and not_image.status_code == 400
    page = await (await client.get(f"/{calendar.slug}/{event.slug}/")).get_data(as_text=True)
    assert 'srcset="/media/' in page and "image/webp" in page


async def test_the_participant_list_and_its_csv_are_the_organisers(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, owner = await _owned_calendar(db)
    event = await make_event(db, calendar, "Talk", now() + timedelta(days=3), capacity=5)
    await add(
        db,
        Booking(
            event_id=event.id,
            guest_email="eve@example.test",
            name="=HYPERLINK(1)",
            occurrence_start=event.starts_at,
            status="confirmed",
            token_hash="a" * 64,
        ),
    )
    organiser = await events_client(viewer_of(owner))
    stranger = await events_client(viewer_of(await make_user(db)))

    listing = await organiser.get(f"/{calendar.slug}/{event.slug}/participants")
    exported = await organiser.get(f"/{calendar.slug}/{event.slug}/participants.csv")

    assert "eve@example.test" in await listing.get_data(as_text=True)
    text = await exported.get_data(as_text=True)
    assert exported.mimetype == "text/csv" and "'=HYPERLINK(1),eve@example.test" in text
    assert (
        await stranger.get(f"/{calendar.slug}/{event.slug}/participants.csv")
    ).status_code == 403


async def test_an_owner_makes_a_calendar_then_makes_it_private(
    db: AsyncSession, events_client: EventsApp
) -> None:
    owner = await make_user(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, "/manage/")

    made = await client.post("/manage/calendars", form={"csrf_token": token, "name": "Book club"})
    path = made.headers["Location"]
    hidden = await client.post(
        f"{path}settings", form={"csrf_token": token, "name": "Book club", "is_private": "1"}
    )
    nameless = await client.post(f"{path}settings", form={"csrf_token": token, "name": " "})

    assert made.status_code == 303 and path == "/book-club/"
    assert hidden.status_code == 303 and nameless.status_code == 400
    assert (await client.get(path)).status_code == 200  # its owner still sees it
    assert (await (await events_client()).get(path)).status_code == 404


async def test_a_bad_move_or_split_is_a_400_that_keeps_the_series(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar, owner = await _owned_calendar(db)
    client = await events_client(viewer_of(owner))
    token = await csrf_of(client, f"/{calendar.slug}/new")
    await client.post(
        f"/{calendar.slug}/new", form={**_form(repeat="daily", count="3"), "csrf_token": token}
    )
    event = await db.scalar(select(Event).where(Event.calendar_id == calendar.id))
    assert event is not None
    key = event.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = event.starts_at.date().isoformat()
    backwards = {"start_date": day, "start_time": "10:00", "end_date": day, "end_time": "09:00"}

    moved = await client.post(
        f"/{calendar.slug}/{event.slug}/{key}/move", form={"csrf_token": token, **backwards}
    )
    split = await client.post(
        f"/{calendar.slug}/{event.slug}/{key}/split", form={**_form(), "csrf_token": token}
    )

    assert moved.status_code == 400 and "ends before it starts" in await moved.get_data(
        as_text=True
    )
    assert split.status_code == 400 and "first occurrence" in await split.get_data(as_text=True)

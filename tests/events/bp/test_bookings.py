"""Booking through the pages: guests confirm on a page that POSTs (a GET of the mailed
link books nothing), cancel from the mail's link; bad bookings are clear errors."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Booking
from shared.services.events.bookings import new_token
from tests.events.bp.conftest import EventsApp, csrf_of, viewer_of
from tests.support.factories import make_calendar, make_event, make_user, now


def _key(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


async def test_a_guest_books_and_confirms_with_a_post(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Walk", now() + timedelta(days=4), capacity=3)
    client = await events_client()
    page = f"/{calendar.slug}/{event.slug}/"
    token = await csrf_of(client, page)
    assert "3 of 3 places left" in await (await client.get(page)).get_data(as_text=True)

    booked = await client.post(
        f"{page}{_key(event.starts_at)}/book",
        form={"csrf_token": token, "name": "Gil", "email": "gil@example.test"},
    )
    assert booked.status_code == 201 and "Check your mail" in await booked.get_data(as_text=True)
    booking = await db.scalar(select(Booking).where(Booking.event_id == event.id))
    assert booking is not None and booking.status == "pending"
    link, booking.token_hash = new_token()  # the test stands in for the mailbox
    await db.flush()

    scanned = await client.get(f"/bookings/{link}/confirm")
    assert scanned.status_code == 200 and "Confirm my place" in await scanned.get_data(as_text=True)
    await db.refresh(booking)
    assert booking.status == "pending"  # following the link booked nothing

    confirmed = await client.post(f"/bookings/{link}/confirm", form={"csrf_token": token})
    assert "You are booked" in await confirmed.get_data(as_text=True)
    await db.refresh(booking)
    assert booking.status == "confirmed"
    assert (await client.get("/bookings/wrong-token-000000000000000/confirm")).status_code == 404


async def test_a_member_books_and_cancels_from_their_list(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    event = await make_event(db, calendar, "Yoga", now() + timedelta(days=4), capacity=1)
    member = await make_user(db)
    client = await events_client(viewer_of(member))
    token = await csrf_of(client, f"/{calendar.slug}/{event.slug}/")

    booked = await client.post(
        f"/{calendar.slug}/{event.slug}/{_key(event.starts_at)}/book", form={"csrf_token": token}
    )
    again = await client.post(
        f"/{calendar.slug}/{event.slug}/{_key(event.starts_at)}/book", form={"csrf_token": token}
    )
    mine = await (await client.get("/bookings/")).get_data(as_text=True)

    assert booked.status_code == 201 and "You are booked" in await booked.get_data(as_text=True)
    assert again.status_code == 409 and "already booked" in await again.get_data(as_text=True)
    assert "Yoga" in mine and "booked" in mine
    booking_id = re.search(r'action="/bookings/(\d+)/cancel"', mine)[1]  # type: ignore[index]
    stranger = await events_client(viewer_of(await make_user(db)))
    assert (
        await stranger.post(
            f"/bookings/{booking_id}/cancel",
            form={"csrf_token": await csrf_of(stranger, "/bookings/")},
        )
    ).status_code == 404
    cancelled = await client.post(f"/bookings/{booking_id}/cancel", form={"csrf_token": token})
    assert cancelled.status_code == 303
    assert "Yoga" not in await (await client.get("/bookings/")).get_data(as_text=True)


async def test_bookings_for_missing_or_past_occurrences_are_refused(
    db: AsyncSession, events_client: EventsApp
) -> None:
    calendar = await make_calendar(db)
    past = await make_event(db, calendar, "Gone", now() - timedelta(hours=3), capacity=5)
    future = await make_event(db, calendar, "Soon", now() + timedelta(days=2), capacity=5)
    client = await events_client(viewer_of(await make_user(db)))
    token = await csrf_of(client, f"/{calendar.slug}/{future.slug}/")

    over = await client.post(
        f"/{calendar.slug}/{past.slug}/{_key(past.starts_at)}/book", form={"csrf_token": token}
    )
    nowhere = await client.post(
        f"/{calendar.slug}/{future.slug}/{_key(future.starts_at + timedelta(minutes=5))}/book",
        form={"csrf_token": token},
    )
    garbage = await client.post(
        f"/{calendar.slug}/{future.slug}/yesterday/book", form={"csrf_token": token}
    )

    assert over.status_code == 400 and "already started" in await over.get_data(as_text=True)
    assert nowhere.status_code == 400 and "no such occurrence" in await nowhere.get_data(
        as_text=True
    )
    assert garbage.status_code == 404

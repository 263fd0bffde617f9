"""The ticket page shows its QR code; the organiser's check-in page answers valid, then
already used, and "not for this event" for another event's ticket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.models.events import Calendar, Ticket, TicketType
from tests.events.bp.conftest import EventsApp, csrf_of, viewer_of
from tests.support.factories import add, make_calendar, make_event, make_user, now


async def test_ticket_page_and_check_in(db: AsyncSession, events_client: EventsApp) -> None:
    organiser = await make_user(db)
    calendar = Calendar(slug=f"gigs-{organiser.id}", name="Gigs", owner_id=organiser.id)
    await add(db, calendar)
    event = await make_event(db, calendar, "Gig", now() + timedelta(days=5))
    other = await make_event(db, await make_calendar(db), "Elsewhere", now() + timedelta(days=5))
    ours, theirs = (
        TicketType(event_id=event.id, name="Standing", price_minor=1200, currency="GBP"),
        TicketType(event_id=other.id, name="Seat", price_minor=900, currency="GBP"),
    )
    await add(db, ours, theirs)
    ticket = Ticket(
        code="ABCDEFGHJKMNPQRSTUVW", ticket_type_id=ours.id, occurrence_start=event.starts_at
    )
    foreign = Ticket(
        code="WVUTSRQPNMKJHGFEDCBA", ticket_type_id=theirs.id, occurrence_start=other.starts_at
    )
    await add(db, ticket, foreign)

    visitor = await events_client()
    page = await visitor.get(f"/tickets/{ticket.code}/")
    html = await page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and ticket.code in html and "Standing" in html
    assert (await visitor.get("/tickets/NOTACODE/")).status_code == 404
    assert (await visitor.get(f"/{calendar.slug}/{event.slug}/check-in")).status_code == 401

    door = await events_client(viewer_of(organiser))
    path = f"/{calendar.slug}/{event.slug}/check-in"
    token = await csrf_of(door, path)
    first = await door.post(path, form={"csrf_token": token, "code": ticket.code.lower()})
    second = await door.post(path, form={"csrf_token": token, "code": ticket.code})
    wrong = await door.post(path, form={"csrf_token": token, "code": foreign.code})

    assert first.status_code == 200 and "Valid" in await first.get_data(as_text=True)
    assert second.status_code == 409 and "Already used" in await second.get_data(as_text=True)
    assert wrong.status_code == 422 and "Not for this event" in await wrong.get_data(as_text=True)


async def test_an_organiser_sells_a_ticket_type_in_a_window(
    db: AsyncSession, events_client: EventsApp
) -> None:
    organiser = await make_user(db)
    calendar = Calendar(slug=f"shows-{organiser.id}", name="Shows", owner_id=organiser.id)
    await add(db, calendar)
    event = await make_event(db, calendar, "Play", now() + timedelta(days=20))
    client = await events_client(viewer_of(organiser))
    path = f"/{calendar.slug}/{event.slug}/"
    token = await csrf_of(client, path)
    later = (now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")

    on_sale = await client.post(
        f"{path}ticket-types",
        form={"csrf_token": token, "name": "Stalls", "price": "12.50", "quantity": "40"},
    )
    not_yet = await client.post(
        f"{path}ticket-types",
        form={"csrf_token": token, "name": "Circle", "price": "8", "sales_start": later},
    )
    bad = await client.post(
        f"{path}ticket-types", form={"csrf_token": token, "name": "Box", "price": "12,5"}
    )

    assert on_sale.status_code == 303 and not_yet.status_code == 303 and bad.status_code == 400
    page = await (await client.get(path)).get_data(as_text=True)
    assert "Stalls" in page and "£12.50" in page and "40 left" in page
    assert 'name="ticket_type_id"' in page and "on sale from" in page

"""iCalendar feeds people subscribe to: one VEVENT per series (its RRULE and EXDATEs) plus
one per moved occurrence (RECURRENCE-ID), VTIMEZONEs, stable UIDs and refresh hints.

The VEVENTs are `recurrence.vevents_of`, the same the pages expand, so a feed
reader's expansion is our pages' occurrences.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import TicketRecord
from shared.models.events import Booking, Event, FeedToken
from shared.services.events.recurrence import UID_DOMAIN, find_occurrence, vevents_of

REFRESH = timedelta(hours=1)
PRODID = "-//Rose Ash//Events//EN"
TOKEN_BYTES = 24


def feed_of(name: str, events: Sequence[Event], *, base_url: str, description: str = "") -> bytes:
    """A VCALENDAR of `events` named `name`; each VEVENT's URL is its page under `base_url`."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    # RFC 7986's hint and the older one Outlook and Apple Calendar read.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for event in events:
        for vevent in vevents_of(event):
            if "DTSTAMP" not in vevent:
                vevent.add("dtstamp", stamp)
            vevent.add("url", f"{base_url}/{event.calendar.slug}/{event.slug}/")
            if event.location:
                vevent.add("location", event.location)
            elif event.online_url:
                vevent.add("location", event.online_url)
            if event.tags:
                vevent.add("categories", list(event.tags))
            calendar.add_component(vevent)
    if events:
        first = min(event.starts_at for event in events)
        calendar.add_missing_timezones(first_date=first.date() - timedelta(days=1))
    return calendar.to_ical()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def reset_feed_token(session: AsyncSession, user_id: int) -> str:
    """A new private feed token for the member (the old one stops working); the token."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = await session.scalar(select(FeedToken).where(FeedToken.user_id == user_id))
    if row is None:
        session.add(FeedToken(user_id=user_id, token_hash=_hash(token)))
    else:
        row.token_hash = _hash(token)
    await session.flush()
    return token


async def has_feed_token(session: AsyncSession, user_id: int) -> bool:
    return (
        await session.scalar(select(FeedToken.id).where(FeedToken.user_id == user_id)) is not None
    )


async def member_of_token(session: AsyncSession, token: str) -> int | None:
    """The member whose private feed `token` opens; None for a wrong or reset token."""
    if not token or len(token) > 100:
        return None
    return await session.scalar(
        select(FeedToken.user_id).where(FeedToken.token_hash == _hash(token))
    )


def private_feed_of(
    bookings: Sequence[Booking], tickets: Sequence[TicketRecord], *, base_url: str
) -> bytes:
    """A member's own plans: one VEVENT per booked occurrence and per ticket."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("name", "My Rose Ash events")
    calendar.add("x-wr-calname", "My Rose Ash events")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for booking in bookings:
        event = booking.event
        occurrence = find_occurrence(event, booking.occurrence_start)
        if occurrence is None:
            continue
        vevent = icalendar.Event()
        vevent.add("uid", f"booking-{booking.id}@{UID_DOMAIN}")
        vevent.add("dtstamp", stamp)
        label = "waiting list" if booking.status == "waiting" else "booked"
        vevent.add("summary", f"{event.title} ({label})")
        vevent.add("dtstart", occurrence.starts_at)
        vevent.add("dtend", occurrence.ends_at)
        vevent.add("url", f"{base_url}/{event.calendar.slug}/{event.slug}/")
        calendar.add_component(vevent)
    for ticket in tickets:
        vevent = icalendar.Event()
        vevent.add("uid", f"ticket-{ticket.id}@{UID_DOMAIN}")
        vevent.add("dtstamp", stamp)
        vevent.add("summary", f"{ticket.event_title} (ticket: {ticket.ticket_type_name})")
        vevent.add("dtstart", ticket.occurrence_start)
        vevent.add("dtend", ticket.occurrence_end)
        vevent.add("url", f"{base_url}/tickets/{ticket.code}/")
        calendar.add_component(vevent)
    return calendar.to_ical()

"""Public pages: a calendar, an event `/<calendar>/<event>/`, one occurrence of a series
`/<calendar>/<event>/<RECURRENCE-ID>/`, and the event as an .ics file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Blueprint, Response, render_template

from events.bp.home import by_local_day, occurrences_on_days
from events.bp.lookup import base_url, calendar_or_404, event_or_404, occurrence_or_404, session
from shared.contracts.calendars import OccurrenceRecord
from shared.infrastructure.viewer import current_viewer
from shared.models.events import Event
from shared.services.events.bookings import seats_taken
from shared.services.events.editing import can_manage
from shared.services.events.feeds import feed_of
from shared.services.events.forms import describe_rule
from shared.services.events.jsonld import event_json_ld
from shared.services.events.recurrence import next_occurrence, occurrences_between
from shared.services.events.tickets import list_ticket_types

bp = Blueprint("calendars", __name__)

CALENDAR_DAYS = 120
SERIES_SHOWN = 12


@bp.get("/<calendar_slug>/")
async def get_calendar(calendar_slug: str) -> str:
    """A calendar's next four months; 404 for a private calendar (but to its owner)."""
    calendar = await calendar_or_404(calendar_slug)
    today = datetime.now(UTC).date()
    occurrences = await occurrences_on_days(
        today, today + timedelta(days=CALENDAR_DAYS), calendar_id=calendar.id
    )
    return await render_template(
        "events/calendars/show.html",
        calendar=calendar,
        occurrences=occurrences,
        days=by_local_day(occurrences),
        can_manage=can_manage(calendar, current_viewer()),
        base_url=base_url(),
    )


async def _event_page(event: Event, occurrence: OccurrenceRecord | None) -> str:
    now = datetime.now(UTC)
    upcoming = occurrences_between([event], now, now + timedelta(days=400))[:SERIES_SHOWN]
    shown = occurrence or next_occurrence(event, now) or (upcoming[0] if upcoming else None)
    if shown is None:  # a past one-off event (or a finished series): its first occurrence
        firsts = occurrences_between([event], event.starts_at, event.ends_at + timedelta(1))
        shown = firsts[0] if firsts else None
    taken = await seats_taken(session(), event.id, shown.recurrence_id) if shown else 0
    return await render_template(
        "events/events/show.html",
        event=event,
        calendar=event.calendar,
        occurrence=shown,
        is_occurrence_page=occurrence is not None,
        upcoming=upcoming,
        rule_text=describe_rule(event.rrule),
        seats_left=max((event.capacity or 0) - taken, 0),
        ticket_types=await list_ticket_types(session(), event.id),
        json_ld=event_json_ld(event, shown, base_url()) if shown else None,
        can_manage=can_manage(event.calendar, current_viewer()),
        started=shown is not None and shown.starts_at <= now,
    )


@bp.get("/<calendar_slug>/<event_slug>/")
async def get_event(calendar_slug: str, event_slug: str) -> str:
    """An event: its next occurrence, the series' coming dates, booking and tickets."""
    return await _event_page(await event_or_404(calendar_slug, event_slug), None)


@bp.get("/<calendar_slug>/<event_slug>/<key>/")
async def get_occurrence(calendar_slug: str, event_slug: str, key: str) -> str:
    """One occurrence, named by its RECURRENCE-ID (20260305T190000Z); 404 if cancelled."""
    event = await event_or_404(calendar_slug, event_slug)
    return await _event_page(event, await occurrence_or_404(event, key))


@bp.get("/<calendar_slug>/<event_slug>/event.ics")
async def get_event_ics(calendar_slug: str, event_slug: str) -> Response:
    """ "Add to calendar": the event (a series with its RRULE) as an iCalendar file."""
    event = await event_or_404(calendar_slug, event_slug)
    body = feed_of(event.title, [event], base_url=base_url())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )

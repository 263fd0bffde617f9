"""What every events route does first: find the calendar, event or occurrence a URL
names, as the viewer may see it, or a 404 (private calendars and drafts are their
managers' only)."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import abort, current_app
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.calendars import OccurrenceRecord
from shared.contracts.dtos import UserRecord
from shared.infrastructure.runtime import request_session, runtime
from shared.infrastructure.viewer import current_viewer
from shared.models.events import Calendar, Event, EventStatus
from shared.services.events.editing import can_manage
from shared.services.events.reading import get_calendar, get_event
from shared.services.events.recurrence import find_occurrence


def session() -> AsyncSession:
    return request_session(current_app)


def base_url() -> str:
    """This app's public address, for links in mails, feeds and widgets."""
    return runtime(current_app).settings.apps["events"].base_url.rstrip("/")


def parse_key(key: str) -> datetime:
    """An occurrence's URL name (its RECURRENCE-ID, 20260305T190000Z) as UTC; else 404."""
    try:
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        abort(404)


async def calendar_or_404(slug: str) -> Calendar:
    calendar = await get_calendar(session(), slug)
    if calendar is None or (calendar.is_private and not can_manage(calendar, current_viewer())):
        abort(404)
    return calendar


async def event_or_404(calendar_slug: str, event_slug: str) -> Event:
    calendar = await calendar_or_404(calendar_slug)
    event = await get_event(session(), calendar, event_slug)
    if event is None:
        abort(404)
    if event.status == EventStatus.DRAFT and not can_manage(calendar, current_viewer()):
        abort(404)
    return event


async def occurrence_or_404(event: Event, key: str) -> OccurrenceRecord:
    occurrence = find_occurrence(event, parse_key(key))
    if occurrence is None:
        abort(404)
    return occurrence


def manager_or_403(calendar: Calendar) -> UserRecord:
    """The signed-in viewer if they manage `calendar`; 403 otherwise (401 when signed out)."""
    viewer = current_viewer()
    if viewer is None:
        abort(401, description="Sign in to manage this calendar.")
    if not can_manage(calendar, viewer):
        abort(403, description="Only the calendar's owner can manage it.")
    return viewer

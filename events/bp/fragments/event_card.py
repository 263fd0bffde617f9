"""The event card a blog post embeds: `/internal/fragments/event-card?id=`.

Served by events so the date shown is the event's next one (a recurring
event moves on by itself); an unpublished, past or unknown event is an empty
fragment (the post keeps its placeholder title).
"""

from datetime import UTC, datetime

from quart import Blueprint, abort, current_app, render_template_string, request
from sqlalchemy import select

from shared.contracts.dtos import EventSummary
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.models.events import Event, EventStatus
from shared.services.events import next_occurrence

bp = Blueprint("event_card_fragment", __name__, url_prefix="/internal/fragments")

TEMPLATE = """{% from "macros.html" import event_row %}
<div class="embedded-card" data-fragment="event-card">{{ event_row(event) }}</div>"""


@bp.get("/event-card")
async def get_event_card() -> str:
    event_id = whole_number(request.args.get("id"), "id")
    if event_id is None:
        abort(400, description="id names the event to show")
    event = await request_session(current_app).scalar(
        select(Event).where(Event.id == event_id, Event.status == EventStatus.PUBLISHED)
    )
    start = next_occurrence(event, datetime.now(UTC)) if event is not None else None
    if event is None or start is None:
        return ""
    summary = EventSummary(
        id=event.id,
        slug=event.slug,
        title=event.title,
        calendar_slug=event.calendar.slug,
        calendar_name=event.calendar.name,
        starts_at=start,
        ends_at=start + (event.ends_at - event.starts_at),
        time_zone=event.time_zone,
        location=event.location,
        is_recurring=bool(event.rrule),
    )
    return await render_template_string(TEMPLATE, event=summary)

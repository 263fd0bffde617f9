"""The event card a blog post embeds: `/internal/fragments/event-card?id=`.

Served by events so the date shown is the event's next one (a recurring
event moves on by itself); an unpublished, past or unknown event is an empty
fragment (the post keeps its placeholder title).
"""

from datetime import UTC, datetime

from quart import Blueprint, abort, current_app, render_template_string, request

from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("event_card_fragment", __name__, url_prefix="/internal/fragments")

TEMPLATE = """{% from "macros.html" import event_row %}
<div class="embedded-card" data-fragment="event-card">
{{- event_row(event, events_url=apps_by_name['events'].base_url) }}</div>"""


@bp.get("/event-card")
async def get_event_card() -> str:
    event_id = whole_number(request.args.get("id"), "id")
    if event_id is None:
        abort(400, description="id names the event to show")
    summary = await services.events.get_event_summary(
        request_session(current_app), event_id, now=datetime.now(UTC)
    )
    if summary is None:
        return ""
    return await render_template_string(TEMPLATE, event=summary)

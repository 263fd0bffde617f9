"""Widgets for other sites: an iframe page, and the `<rose-ash-events>` web component
(its script and the JSON it reads). Only these routes may be framed or read across
origins, and they show only public calendars: a private one is a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quart import Blueprint, Response, abort, jsonify, render_template, request

from events.bp.lookup import base_url, session
from shared.contracts.calendars import OccurrenceRecord
from shared.infrastructure.params import whole_number
from shared.infrastructure.security import frameable
from shared.services.events.reading import get_public_calendar, list_occurrences

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

SCRIPT = Path(__file__).resolve().parents[1] / "widget" / "rose-ash-events.js"
DEFAULT_LIMIT = 5
MAX_LIMIT = 20
HORIZON = timedelta(days=365)


async def _upcoming(calendar_slug: str) -> tuple[str, list[OccurrenceRecord]]:
    calendar = await get_public_calendar(session(), calendar_slug)
    if calendar is None:
        abort(404)
    limit = whole_number(
        request.args.get("limit"), "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT
    )
    now = datetime.now(UTC)
    found = await list_occurrences(session(), now, now + HORIZON, calendar_id=calendar.id)
    return calendar.name, [o for o in found if o.ends_at > now][: limit or DEFAULT_LIMIT]


def _url(o: OccurrenceRecord) -> str:
    tail = f"{o.key}/" if o.is_recurring else ""
    return f"{base_url()}/{o.calendar_slug}/{o.slug}/{tail}"


@bp.get("/<calendar_slug>/")
@frameable
async def get_widget(calendar_slug: str) -> str:
    """The iframe widget: a calendar's next events, links opening on events."""
    name, occurrences = await _upcoming(calendar_slug)
    return await render_template(
        "events/widgets/show.html",
        name=name,
        occurrences=occurrences,
        url_of=_url,
        calendar_url=f"{base_url()}/{calendar_slug}/",
        calendar_slug=calendar_slug,
        base_url=base_url(),
    )


@bp.get("/<calendar_slug>/events.json")
async def get_widget_json(calendar_slug: str) -> Response:
    """What the web component shows; public data, so any origin may read it."""
    name, occurrences = await _upcoming(calendar_slug)
    response = jsonify(
        {
            "calendar": {"name": name, "url": f"{base_url()}/{calendar_slug}/"},
            "events": [
                {
                    "title": o.title,
                    "url": _url(o),
                    "start": o.starts_at.isoformat(),
                    "end": o.ends_at.isoformat(),
                    "all_day": o.all_day,
                    "time_zone": o.time_zone,
                    "location": o.location,
                }
                for o in occurrences
            ],
        }
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/rose-ash-events.js")
async def get_widget_script() -> Response:
    """The `<rose-ash-events calendar="slug">` element; it reads this script's own origin."""
    response = Response(SCRIPT.read_text(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response

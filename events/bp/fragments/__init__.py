"""HTML fragments the events app serves to the others at /internal/fragments/<type>.

`/internal/*` is guarded for the whole app (shared.infrastructure.internal):
only requests carrying the internal token get here.
"""

from datetime import UTC, datetime

from quart import Blueprint, abort, current_app, render_template, request

from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.models.events import CONTAINER_TYPES
from shared.services.registry import services

bp = Blueprint("fragments", __name__, url_prefix="/internal/fragments")

DEFAULT_LIMIT = 5
MAX_LIMIT = 20


def _whole(name: str, default: int | None = None) -> int | None:
    return whole_number(request.args.get(name), name, default=default)


@bp.get("/upcoming-events")
async def get_upcoming_events() -> str:
    """The next `limit` events; only those of one container's calendars when
    `container_type` (post, stall, market_page) and `container_id` are given."""
    limit = _whole("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    container_type = request.args.get("container_type")
    container_id = _whole("container_id")
    if (container_type is None) != (container_id is None):
        abort(400, description="container_type and container_id go together")
    if container_type is not None and container_type not in CONTAINER_TYPES:
        abort(400, description=f"container_type must be one of {', '.join(CONTAINER_TYPES)}")
    events = await services.events.list_upcoming_events(
        request_session(current_app),
        now=datetime.now(UTC),
        limit=min(limit, MAX_LIMIT),
        container_type=container_type,
        container_id=container_id,
    )
    return await render_template(
        "events/fragments/upcoming_events.html", events=events, for_container=container_type
    )

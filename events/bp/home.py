"""The events front page: what's coming up, soonest first."""

from datetime import UTC, datetime

from quart import Blueprint, current_app, render_template

from events.config import HOME_PAGE_EVENTS
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    events = await services.events.list_upcoming_events(
        request_session(current_app), now=datetime.now(UTC), limit=HOME_PAGE_EVENTS
    )
    return await render_template("events/home/index.html", events=events)

"""The social hub's front page: the way in, and the local timeline."""

from quart import Blueprint, current_app, render_template

from federation.config import LOCAL_TIMELINE_NOTES
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    notes = await services.social.list_local_timeline(
        request_session(current_app), limit=LOCAL_TIMELINE_NOTES
    )
    return await render_template("federation/home/index.html", notes=notes)

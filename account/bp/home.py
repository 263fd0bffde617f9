"""The member dashboard's overview."""

from quart import Blueprint, current_app, render_template

from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    newsletters = await services.newsletters.list_newsletters(request_session(current_app))
    return await render_template("account/home/index.html", newsletters=newsletters)

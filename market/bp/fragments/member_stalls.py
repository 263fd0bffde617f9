"""The member's "stalls I run" dashboard card: `/internal/fragments/member-stalls`."""

from quart import Blueprint, current_app, render_template, request

from shared.infrastructure.internal import internal_viewer
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("member_stalls_fragment", __name__, url_prefix="/internal/fragments")


@bp.get("/member-stalls")
async def get_member_stalls() -> str:
    """Empty for a member who runs no stall: the dashboard then shows no card at all."""
    viewer = internal_viewer()
    limit = whole_number(request.args.get("limit"), "limit", default=5, maximum=20) or 5
    if viewer.user_id is None:
        return ""
    stalls = await services.market.list_managed_stalls(request_session(current_app), viewer.user_id)
    if not stalls:
        return ""
    return await render_template(
        "market/fragments/member_stalls.html", stalls=stalls[:limit], more=len(stalls) > limit
    )

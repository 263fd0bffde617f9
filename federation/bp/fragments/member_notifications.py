"""The member's newest notifications on the account dashboard:
`/internal/fragments/member-notifications` (reading them here marks nothing read)."""

from quart import Blueprint, current_app, render_template, request

from shared.infrastructure.internal import internal_viewer
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("member_notifications_fragment", __name__, url_prefix="/internal/fragments")


@bp.get("/member-notifications")
async def get_member_notifications() -> str:
    viewer = internal_viewer()
    limit = whole_number(request.args.get("limit"), "limit", default=5, maximum=20) or 5
    notifications = []
    if viewer.user_id is not None:
        notifications = await services.social.list_notifications(
            request_session(current_app), viewer.user_id, limit=limit
        )
    return await render_template(
        "federation/fragments/member_notifications.html", notifications=notifications
    )

"""The member's dashboard cards the events app serves: `/internal/fragments/member-tickets`
and `member-bookings` (the viewer is the member; cached per member, dropped on change)."""

from datetime import UTC, datetime

from quart import Blueprint, current_app, render_template, request

from shared.infrastructure.internal import internal_viewer
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("member_fragments", __name__, url_prefix="/internal/fragments")
MAX_LIMIT = 20


def _limit() -> int:
    return whole_number(request.args.get("limit"), "limit", default=5, maximum=MAX_LIMIT) or 5


@bp.get("/member-tickets")
async def get_member_tickets() -> str:
    viewer = internal_viewer()
    tickets = []
    if viewer.user_id is not None:
        tickets = await services.events.list_member_tickets(
            request_session(current_app), viewer.user_id, now=datetime.now(UTC), limit=_limit()
        )
    return await render_template("events/fragments/member_tickets.html", tickets=tickets)


@bp.get("/member-bookings")
async def get_member_bookings() -> str:
    viewer = internal_viewer()
    bookings = []
    if viewer.user_id is not None:
        bookings = await services.events.list_member_bookings(
            request_session(current_app), viewer.user_id, now=datetime.now(UTC), limit=_limit()
        )
    return await render_template("events/fragments/member_bookings.html", bookings=bookings)

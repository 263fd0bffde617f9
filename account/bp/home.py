"""The member dashboard: a card per fragment the owning apps serve (orders from cart,
tickets and bookings from events, stalls from market, notifications from federation),
plus the member's own newsletters. Account queries no other domain's tables: a card
whose app does not serve its fragment (yet), or is down, is simply left out."""

from quart import Blueprint, current_app, render_template

from shared.contracts.widgets import DASHBOARD_FRAGMENTS, FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("home", __name__)
CARD_LIMIT = 5  # items per dashboard card


@bp.get("/")
async def get_home() -> str:
    member = current_viewer()
    session = request_session(current_app)
    newsletters = await services.newsletters.list_newsletters(session)
    preferences = await services.newsletters.list_preferences(session, member) if member else []
    if member is not None:
        # Asked for with the shell's, in one batch, once this request's own queries are
        # done: our in-process fragments (the footer's signup) use the database too.
        page_fragments(*(FragmentRequest.of(t, limit=CARD_LIMIT) for t in DASHBOARD_FRAGMENTS))
    return await render_template(
        "account/home/index.html",
        newsletters=newsletters,
        preferences=preferences,
        dashboard_cards=DASHBOARD_FRAGMENTS,
    )

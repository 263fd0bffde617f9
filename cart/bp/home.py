"""The cart page: what the visitor is about to buy, grouped by stall, to change or check out."""

from quart import Blueprint, current_app, render_template

from cart.payments import owner
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.cart.orders import owned_stalls
from shared.services.cart.page import cart_page
from shared.services.market.unit_prices import cart_line_unit_prices

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    session = request_session(current_app)
    viewer = current_viewer()
    page = await cart_page(session, owner())
    stalls = await owned_stalls(session, viewer.id) if viewer else []
    per_unit = await cart_line_unit_prices(
        session, (line.id for group in page.groups for line in group.lines)
    )
    return await render_template(
        "cart/home/index.html", page=page, owns_stalls=bool(stalls), per_unit=per_unit
    )

"""HTML fragments the cart app serves to the others at /internal/fragments/<type>.

`/internal/*` is guarded for the whole app (shared.infrastructure.internal):
only requests carrying the internal token get here, with the viewer signed.
"""

from quart import Blueprint, current_app, render_template, request

from shared.infrastructure.internal import internal_viewer
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("fragments", __name__, url_prefix="/internal/fragments")


@bp.get("/mini-cart")
async def get_mini_cart() -> tuple[str, int, dict[str, str]]:
    """Item count and total of the viewer's cart: the member's, or the anonymous cookie's.

    An anonymous cookie without a cart behind it (any visitor can make one up)
    gets the empty cart with `no-store`, so the caller caches nothing for it.
    """
    viewer = internal_viewer()
    cart = await services.cart.get_cart_summary(
        request_session(current_app), user_id=viewer.user_id, anon_token=viewer.anon_cart
    )
    html = await render_template("cart/fragments/mini_cart.html", cart=cart)
    nobodys = viewer.user_id is None and viewer.anon_cart is not None and cart.is_empty
    return html, 200, {"Cache-Control": "no-store"} if nobodys else {}


@bp.get("/member-orders")
async def get_member_orders() -> str:
    """The member's dashboard card: their newest orders, each linked to its page on account."""
    viewer = internal_viewer()
    limit = whole_number(request.args.get("limit"), "limit", default=5, maximum=20) or 5
    orders = []
    if viewer.user_id is not None:
        orders = await services.cart.list_member_orders(
            request_session(current_app), viewer.user_id, limit=limit
        )
    return await render_template("cart/fragments/member_orders.html", orders=orders)

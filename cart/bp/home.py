"""The cart page: what the visitor is about to buy."""

from quart import Blueprint, current_app, render_template, request

from cart.config import ANON_CART_COOKIE
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    viewer = current_viewer()
    cart = await services.cart.get_cart_summary(
        request_session(current_app),
        user_id=viewer.id if viewer else None,
        anon_token=request.cookies.get(ANON_CART_COOKIE),
    )
    return await render_template("cart/home/index.html", cart=cart)

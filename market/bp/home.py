"""The market's front page: products on sale and the stalls selling them."""

from quart import Blueprint, current_app, render_template

from market.config import HOME_PAGE_PRODUCTS
from shared.infrastructure.runtime import request_session
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    session = request_session(current_app)
    products = await services.market.list_listed_products(session, limit=HOME_PAGE_PRODUCTS)
    stalls = await services.market.list_stalls(session)
    return await render_template("market/home/index.html", products=products, stalls=stalls)

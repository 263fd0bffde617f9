"""The market's front page: search, categories, market pages, products and stalls."""

from quart import Blueprint, current_app, render_template

from market.config import HOME_PAGE_PRODUCTS
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("home", __name__)


@bp.get("/")
async def get_home() -> str:
    session = request_session(current_app)
    products = await services.market.list_listed_products(session, limit=HOME_PAGE_PRODUCTS)
    stalls = await services.market.list_stalls(session)
    categories = await services.market.list_categories(session)
    pages = await services.market.list_market_pages(session)
    viewer = current_viewer()
    return await render_template(
        "market/home/index.html",
        products=products,
        stalls=stalls,
        categories=[c for c in categories if c.depth == 0],
        pages=pages,
        viewer=viewer,
    )

"""Market pages (for example "Saturday market at the hall"): an admin's text, chosen stalls
and products, and the events of the page's calendar from the events app."""

from __future__ import annotations

from quart import Blueprint, abort, current_app, render_template

from market.config import MARKET_PAGE_EVENTS
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.runtime import request_session
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("pages", __name__, url_prefix="/pages")


@bp.get("/<slug>/")
async def get_market_page(slug: str) -> str:
    """A published market page (drafts only to admins)."""
    session = request_session(current_app)
    page = await services.market.get_market_page(session, slug)
    viewer = current_viewer()
    if page is None or not (page.is_published or (viewer is not None and viewer.is_admin)):
        abort(404)
    stalls = [s for s in await services.market.list_stalls(session) if s.slug in page.stall_slugs]
    stalls.sort(key=lambda s: page.stall_slugs.index(s.slug))
    products = await services.market.list_products_by_id(session, list(page.product_ids))
    page_fragments(
        FragmentRequest.of(
            "upcoming-events",
            limit=MARKET_PAGE_EVENTS,
            container_type="market_page",
            container_id=page.id,
        )
    )
    return await render_template(
        "market/pages/show.html", page=page, stalls=stalls, products=products
    )

"""Finding products: search with filters, sort and pages, and a page per category."""

from __future__ import annotations

from urllib.parse import urlencode

from quart import Blueprint, abort, current_app, render_template, request

from market.config import SEARCH_PAGE_SIZE
from shared.contracts.market import ProductQuery
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.services.market.browse import SORTS
from shared.services.market.drafts import parse_price
from shared.services.registry import services

bp = Blueprint("search", __name__)

MAX_QUERY = 200


def _price(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    value = parse_price(text)
    if value is None:
        abort(400, description=f"{name} must be a price like 4.50 (not negative).")
    return value


def _query(category: str | None = None) -> ProductQuery:
    args = request.args
    text = args.get("q", "")
    if len(text) > MAX_QUERY:
        abort(400, description=f"q: a search is at most {MAX_QUERY} characters.")
    sort = args.get("sort", "relevance")
    if sort not in SORTS:
        abort(400, description=f"sort must be one of {', '.join(SORTS)}.")
    return ProductQuery(
        text=text,
        category_slug=category or (args.get("category", "").strip()[:100] or None),
        stall_slug=args.get("stall", "").strip()[:100] or None,
        in_stock=args.get("in_stock") == "1",
        min_price_minor=_price("min_price"),
        max_price_minor=_price("max_price"),
        sort=sort,
        page=whole_number(args.get("page"), "page", default=1, maximum=10_000) or 1,
        per_page=SEARCH_PAGE_SIZE,
    )


def page_link(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    return f"{request.path}?{urlencode(args)}"


async def _render(query: ProductQuery, category_name: str | None = None) -> str:
    session = request_session(current_app)
    result = await services.market.search_products(session, query)
    categories = await services.market.list_categories(session)
    stalls = await services.market.list_stalls(session)
    return await render_template(
        "market/search/index.html",
        query=query,
        result=result,
        categories=categories,
        stalls=stalls,
        category_name=category_name,
        page_link=page_link,
        sorts=SORTS,
    )


@bp.get("/search/")
async def get_search() -> str:
    """Full-text search of the listed products, with filters, sort and pagination."""
    return await _render(_query())


@bp.get("/categories/<slug>/")
async def get_category(slug: str) -> str:
    """The products of a category and the categories under it."""
    categories = await services.market.list_categories(request_session(current_app))
    category = next((c for c in categories if c.slug == slug), None)
    if category is None:
        abort(404)
    return await _render(_query(category.slug), category.name)

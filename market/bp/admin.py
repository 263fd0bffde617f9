"""The market's admin: stall applications to approve, and market pages to compose."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.datastructures import MultiDict

from market.bp.access import require_admin
from shared.contracts.market import MarketError
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.services.registry import services

bp = Blueprint("market_admin", __name__, url_prefix="/admin")


@bp.before_request
async def only_admins() -> None:
    require_admin()


@bp.get("/stalls/")
@login_required
async def get_applications() -> str:
    """Stall applications waiting for review."""
    applications = await services.market.list_stall_applications(request_session(current_app))
    return await render_template("market/admin/stalls.html", applications=applications)


@bp.post("/stalls/<int:stall_id>/review")
async def post_review(stall_id: int) -> Response:
    decision = (await request.form).get("decision", "")
    if decision not in ("approve", "reject"):
        abort(400, description="decision must be approve or reject.")
    async with unit_of_work(current_app) as uow:
        reviewed = await services.market.review_stall(
            uow.session, stall_id, approve=decision == "approve"
        )
    if reviewed is None:
        abort(404)
    return redirect("/admin/stalls/", 303)


@bp.get("/pages/")
@login_required
async def get_pages() -> str:
    pages = await services.market.list_market_pages(
        request_session(current_app), published_only=False
    )
    return await render_template("market/admin/pages.html", pages=pages)


async def _form(
    page_id: int | None, form: object, errors: dict[str, str], status: int
) -> tuple[str, int]:
    html = await render_template(
        "market/admin/page_form.html", page_id=page_id, form=form, errors=errors
    )
    return html, status


@bp.get("/pages/new")
@login_required
async def get_new_page() -> tuple[str, int]:
    return await _form(None, {}, {}, 200)


@bp.get("/pages/<int:page_id>/")
@login_required
async def get_page(page_id: int) -> tuple[str, int]:
    page = await services.market.get_market_page_by_id(request_session(current_app), page_id)
    if page is None:
        abort(404)
    form = {
        "title": page.title,
        "slug": page.slug,
        "html": page.html,
        "is_published": "1" if page.is_published else "",
        "stalls": "\n".join(page.stall_slugs),
        "products": "\n".join(await _product_refs(list(page.product_ids))),
    }
    return await _form(page_id, form, {}, 200)


async def _product_refs(product_ids: list[int]) -> list[str]:
    found = await services.market.list_products_by_id(request_session(current_app), product_ids)
    return [f"{p.stall_slug}/{p.slug}" for p in found]


@bp.post("/pages/new")
async def post_new_page() -> Response | tuple[str, int]:
    return await _save(None, await request.form)


@bp.post("/pages/<int:page_id>/")
async def post_page(page_id: int) -> Response | tuple[str, int]:
    if await services.market.get_market_page_by_id(request_session(current_app), page_id) is None:
        abort(404)
    return await _save(page_id, await request.form)


async def _save(page_id: int | None, form: MultiDict[str, str]) -> Response | tuple[str, int]:
    try:
        async with unit_of_work(current_app) as uow:
            page = await services.market.save_market_page(
                uow.session,
                page_id,
                title=form.get("title", ""),
                slug=form.get("slug", ""),
                html=form.get("html", ""),
                is_published=form.get("is_published") == "1",
                stall_slugs=form.get("stalls", "").split(),
                product_refs=form.get("products", "").split(),
            )
    except MarketError as error:
        return await _form(page_id, form, error.errors, 400)
    return redirect(f"/pages/{page.slug}/", 303)

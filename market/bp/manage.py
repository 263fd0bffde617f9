"""A stall's back office, for its owner and helpers: products, helpers, imports."""

from __future__ import annotations

from dataclasses import replace

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from market.bp.access import managed_stall
from market.bp.stalls import uploaded_image
from shared.contracts.market import MarketError, NewStall
from shared.infrastructure.oauth import login_required
from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("manage", __name__, url_prefix="/stalls/<slug>/manage")


async def render_dashboard(slug: str, errors: dict[str, str] | None = None) -> tuple[str, int]:
    stall = await managed_stall(slug)
    session = request_session(current_app)
    products = await services.market.list_stall_product_records(session, stall.id)
    viewer = current_viewer()
    html = await render_template(
        "market/manage/index.html",
        stall=stall,
        products=products,
        errors=errors or {},
        is_owner=viewer is not None and viewer.id == stall.owner_id,
    )
    return html, 400 if errors else 200


@bp.get("/")
@login_required
async def get_dashboard(slug: str) -> tuple[str, int]:
    """The stall's products in every status, its helpers, and the ways to add products."""
    return await render_dashboard(slug)


@bp.post("/helpers")
async def post_helper(slug: str) -> Response | tuple[str, int]:
    stall = await managed_stall(slug)
    viewer = current_viewer()
    if viewer is None or (viewer.id != stall.owner_id and not viewer.is_admin):
        abort(403, description="Only the stall's owner adds helpers.")
    try:
        async with unit_of_work(current_app) as uow:
            await services.market.add_stall_helper(
                uow.session, stall.id, (await request.form).get("username", "")
            )
    except MarketError as error:
        return await render_dashboard(slug, error.errors)
    return redirect(f"/stalls/{slug}/manage/", 303)


@bp.post("/helpers/remove")
async def post_helper_removal(slug: str) -> Response:
    stall = await managed_stall(slug)
    viewer = current_viewer()
    if viewer is None or (viewer.id != stall.owner_id and not viewer.is_admin):
        abort(403, description="Only the stall's owner removes helpers.")
    user_id = whole_number((await request.form).get("user_id"), "user_id")
    if user_id is None:
        abort(400, description="user_id: say which helper to remove.")
    async with unit_of_work(current_app) as uow:
        await services.market.remove_stall_helper(uow.session, stall.id, user_id)
    return redirect(f"/stalls/{slug}/manage/", 303)


@bp.get("/stall")
@login_required
async def get_stall_form(slug: str) -> str:
    """The stall's own details: name, summary, story, location, pickup, photo."""
    stall = await managed_stall(slug)
    return await render_template("market/manage/stall_form.html", stall=stall, errors={})


@bp.post("/stall")
async def post_stall_form(slug: str) -> Response | tuple[str, int]:
    stall = await managed_stall(slug)
    form = await request.form
    draft = NewStall(
        name=form.get("name", ""),
        slug=stall.slug,
        description=form.get("description", ""),
        story=form.get("story", ""),
        location=form.get("location", ""),
        pickup_details=form.get("pickup_details", ""),
        image_alt=form.get("image_alt", ""),
    )
    try:
        draft = replace(draft, image_url=await uploaded_image())
        async with unit_of_work(current_app) as uow:
            await services.market.update_stall(uow.session, stall.id, draft)
    except MarketError as error:
        typed = replace(  # the form again as the owner filled it in, to correct
            stall,
            name=draft.name,
            description=draft.description,
            story_html=draft.story,
            location=draft.location,
            pickup_details=draft.pickup_details,
            image_alt=draft.image_alt,
        )
        html = await render_template(
            "market/manage/stall_form.html", stall=typed, errors=error.errors
        )
        return html, 400
    return redirect(f"/stalls/{slug}/manage/", 303)

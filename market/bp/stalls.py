"""Stalls in public: apply to open one, a stall's page with its story, products and events."""

from __future__ import annotations

from dataclasses import replace

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request

from market.bp.access import can_see_stall, signed_in
from market.config import RESERVED_SLUGS, STALL_PAGE_EVENTS
from shared.contracts.market import MarketError, NewStall
from shared.contracts.widgets import FragmentRequest
from shared.infrastructure.fragments import page_fragments
from shared.infrastructure.media import receive_image
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.infrastructure.viewer import current_viewer
from shared.services.registry import services

bp = Blueprint("stalls", __name__, url_prefix="/stalls")


@bp.get("/apply/")
@login_required
async def get_stall_application() -> str:
    """The form a member fills in to open a stall (an admin approves it)."""
    signed_in("apply for a stall")
    return await render_template("market/stalls/apply.html", draft=None, errors={})


@bp.post("/apply/")
async def post_stall_application() -> Response | tuple[str, int]:
    viewer = signed_in("apply for a stall")
    form = await request.form
    draft = NewStall(
        name=form.get("name", ""),
        slug=form.get("slug", "").strip(),
        description=form.get("description", ""),
        story=form.get("story", ""),
        location=form.get("location", ""),
        pickup_details=form.get("pickup_details", ""),
        image_alt=form.get("image_alt", ""),
    )
    try:
        if draft.slug in RESERVED_SLUGS:
            raise MarketError({"slug": f"“{draft.slug}” is reserved; choose another."})
        image = await uploaded_image()
        async with unit_of_work(current_app) as uow:
            stall = await services.market.apply_for_stall(
                uow.session, viewer.id, replace(draft, image_url=image)
            )
    except MarketError as error:
        html = await render_template("market/stalls/apply.html", draft=draft, errors=error.errors)
        return html, 400
    return redirect(f"/stalls/{stall.slug}/manage/", 303)


async def uploaded_image() -> str | None:
    """The stored photo's address, when the form carried one."""
    files = await request.files
    upload = files.get("image")
    if upload is None or not upload.filename:
        return None
    platform = runtime(current_app)
    stored = await receive_image(files, "image", platform.media, platform.settings.media)
    return stored.src


@bp.get("/mine/")
@login_required
async def get_my_stalls() -> str:
    """The stalls the signed-in member owns or helps with, whatever their status."""
    viewer = signed_in("see your stalls")
    stalls = await services.market.list_managed_stalls(request_session(current_app), viewer.id)
    return await render_template("market/stalls/mine.html", stalls=stalls)


@bp.get("/<slug>/")
async def get_stall(slug: str) -> str:
    """A stall's page: story, location, pickup, its products and its events."""
    session = request_session(current_app)
    stall = await services.market.get_stall(session, slug)
    if stall is None or not await can_see_stall(stall):
        abort(404)
    products = await services.market.list_stall_products(session, stall.id)
    viewer = current_viewer()
    manages = viewer is not None and (
        viewer.is_admin or await services.market.can_manage_stall(session, stall.id, viewer.id)
    )
    page_fragments(
        FragmentRequest.of(
            "upcoming-events",
            limit=STALL_PAGE_EVENTS,
            container_type="stall",
            container_id=stall.id,
        )
    )
    return await render_template(
        "market/stalls/show.html", stall=stall, products=products, manages=manages
    )

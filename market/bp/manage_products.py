"""Adding and editing a stall's products (owner and helpers only): variants, photos, status."""

from __future__ import annotations

from quart import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from market.bp.access import managed_stall
from market.config import RESERVED_SLUGS
from shared.contracts.market import MarketError, NewProduct, ProductRecord, StallRecord
from shared.contracts.media import StoredImage
from shared.infrastructure.media import receive_image
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.models.market import ProductStatus
from shared.services.market.drafts import read_product_form
from shared.services.registry import services

bp = Blueprint("manage_products", __name__, url_prefix="/stalls/<slug>/manage/products")

STATUSES = {"list": ProductStatus.LISTED, "archive": ProductStatus.ARCHIVED,
            "draft": ProductStatus.DRAFT}  # fmt: skip


async def render_form(
    stall: StallRecord,
    *,
    product: ProductRecord | None = None,
    form: MultiDict[str, str] | dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    categories = await services.market.list_categories(request_session(current_app))
    html = await render_template(
        "market/manage/product_form.html",
        stall=stall,
        product=product,
        form=form,
        errors=errors or {},
        notice=notice,
        categories=categories,
    )
    return html, status


def _checked_draft(form: MultiDict[str, str]) -> NewProduct:
    draft, errors = read_product_form(form.to_dict())
    if draft.slug in RESERVED_SLUGS:
        errors["slug"] = f"“{draft.slug}” is reserved; choose another."
    image = form.get("image_url", "").strip()
    if image and StoredImage.from_url(image) is None:
        errors["image_url"] = "The photo must be one stored here (upload it, or import again)."
    if errors:
        raise MarketError(errors)
    return draft


async def _owned_product(stall: StallRecord, product_id: int) -> ProductRecord:
    session = request_session(current_app)
    products = await services.market.list_stall_product_records(session, stall.id)
    product = next((p for p in products if p.id == product_id), None)
    if product is None:
        abort(404)
    return product


@bp.get("/new")
@login_required
async def get_new_product(slug: str) -> tuple[str, int]:
    """An empty product form with two variant rows."""
    return await render_form(await managed_stall(slug))


@bp.post("/new")
async def post_new_product(slug: str) -> Response | tuple[str, int]:
    stall = await managed_stall(slug)
    form = await request.form
    try:
        draft = _checked_draft(form)
        image = await _upload(form)
        async with unit_of_work(current_app) as uow:
            product = await services.market.create_product(uow.session, stall.id, draft)
            if image:
                await services.market.add_product_image(
                    uow.session, product.id, image, form.get("image_alt", "")
                )
            if form.get("publish") == "1":
                await services.market.set_product_status(
                    uow.session, product.id, ProductStatus.LISTED
                )
    except MarketError as error:
        return await render_form(stall, form=form, errors=error.errors, status=400)
    return redirect(f"/stalls/{slug}/manage/products/{product.id}/", 303)


@bp.get("/<int:product_id>/")
@login_required
async def get_product_form(slug: str, product_id: int) -> tuple[str, int]:
    stall = await managed_stall(slug)
    return await render_form(stall, product=await _owned_product(stall, product_id))


@bp.post("/<int:product_id>/")
async def post_product(slug: str, product_id: int) -> Response | tuple[str, int]:
    stall = await managed_stall(slug)
    product = await _owned_product(stall, product_id)
    form = await request.form
    try:
        draft = _checked_draft(form)
        image = await _upload(form)
        async with unit_of_work(current_app) as uow:
            await services.market.update_product(uow.session, product.id, draft)
            if image:
                await services.market.add_product_image(
                    uow.session, product.id, image, form.get("image_alt", "")
                )
    except MarketError as error:
        return await render_form(stall, product=product, form=form, errors=error.errors, status=400)
    return redirect(f"/stalls/{slug}/manage/products/{product.id}/", 303)


@bp.post("/<int:product_id>/status")
async def post_product_status(slug: str, product_id: int) -> Response | tuple[str, int]:
    """List, archive or return a product to draft."""
    stall = await managed_stall(slug)
    product = await _owned_product(stall, product_id)
    status = STATUSES.get((await request.form).get("action", ""))
    if status is None:
        abort(400, description="action must be list, archive or draft.")
    try:
        async with unit_of_work(current_app) as uow:
            await services.market.set_product_status(uow.session, product.id, status)
    except MarketError as error:
        return await render_form(stall, product=product, errors=error.errors, status=400)
    return redirect(f"/stalls/{slug}/manage/", 303)


async def _upload(form: MultiDict[str, str]) -> str | None:
    """A newly uploaded photo's stored URL, else the stored one the form carries (an
    import from a URL fetched it), else None."""
    files = await request.files
    upload = files.get("image")
    if upload is not None and upload.filename:
        platform = runtime(current_app)
        try:
            stored = await receive_image(files, "image", platform.media, platform.settings.media)
        except HTTPException as exc:  # 400 or 413, with the reason for the member
            raise MarketError({"image": str(exc.description)}) from None
        return stored.src
    return form.get("image_url", "").strip() or None

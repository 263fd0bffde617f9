"""Getting products in and out of a stall: CSV export and import (a dry run first), and
import from a URL, which prefills the product form and never publishes."""

from __future__ import annotations

from quart import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from market.bp.access import managed_stall
from market.bp.manage_products import render_form
from market.config import (
    IMPORT_MAX_IMAGE_BYTES,
    IMPORT_MAX_PAGE_BYTES,
    IMPORT_MAX_REDIRECTS,
    IMPORT_TIMEOUT_SECONDS,
)
from shared.contracts.market import MarketError, ScrapedProduct
from shared.infrastructure.activitypub.http import parse_networks
from shared.infrastructure.fetch import FetchError, SafeFetcher
from shared.infrastructure.media import store_image
from shared.infrastructure.oauth import login_required
from shared.infrastructure.runtime import request_session, runtime, unit_of_work
from shared.services.market.drafts import slugify
from shared.services.market.scraping import extract_product
from shared.services.registry import services

bp = Blueprint("imports", __name__, url_prefix="/stalls/<slug>/manage")

MAX_CSV_BYTES = 2 * 1024 * 1024
NO_PRODUCT = (
    "We could not find a product on that page. It may be drawn by JavaScript, behind a "
    "bot check, or an error page. Fill in the form by hand, or try the shop's product page."
)


@bp.get("/export.csv")
@login_required
async def get_export(slug: str) -> Response:
    """Every product and variant of the stall, one row per variant (the import's format)."""
    stall = await managed_stall(slug)
    text = await services.market.export_stall_csv(request_session(current_app), stall.id)
    return Response(
        text,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stall.slug}-products.csv"'},
    )


@bp.get("/import")
@login_required
async def get_import(slug: str) -> str:
    stall = await managed_stall(slug)
    return await render_template("market/manage/import.html", stall=stall, preview=None, errors={})


@bp.post("/import")
async def post_import(slug: str) -> tuple[str, int]:
    """A dry run lists every row's problems; "Import" writes only a file with none."""
    stall = await managed_stall(slug)
    form = await request.form
    dry_run = form.get("apply") != "1"
    try:
        text = await _csv_text(form.get("csv_text", ""))
        async with unit_of_work(current_app) as uow:
            preview = await services.market.import_stall_csv(
                uow.session, stall.id, text, dry_run=dry_run
            )
    except MarketError as error:
        html = await render_template(
            "market/manage/import.html", stall=stall, preview=None, errors=error.errors
        )
        return html, 400
    html = await render_template(
        "market/manage/import.html",
        stall=stall,
        preview=preview,
        errors={},
        applied=not dry_run and preview.ok,
        csv_text=text,
    )
    return html, 200 if preview.ok else 400


async def _csv_text(pasted: str) -> str:
    files = await request.files
    upload = files.get("csv")
    if upload is not None and upload.filename:
        data = upload.read(MAX_CSV_BYTES + 1)
    else:
        data = pasted.encode()
    if len(data) > MAX_CSV_BYTES:
        raise MarketError({"csv": f"The file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB."})
    if not data.strip():
        raise MarketError({"csv": "Choose a CSV file (or paste one) to import."})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MarketError({"csv": "The file is not UTF-8 text; save it as CSV UTF-8."}) from None


def _fetcher(max_bytes: int) -> SafeFetcher:
    allowed = runtime(current_app).settings.activitypub.fetch_allow_networks
    return SafeFetcher(
        parse_networks(allowed),
        timeout_seconds=IMPORT_TIMEOUT_SECONDS,
        max_bytes=max_bytes,
        max_redirects=IMPORT_MAX_REDIRECTS,
    )


@bp.get("/import-url")
@login_required
async def get_import_url(slug: str) -> str:
    stall = await managed_stall(slug)
    return await render_template("market/manage/import_url.html", stall=stall, error=None, url="")


@bp.post("/import-url")
async def post_import_url(slug: str) -> tuple[str, int]:
    """Fetch the page safely, read its product, and show the product form filled in."""
    stall = await managed_stall(slug)
    url = (await request.form).get("url", "").strip()[:2048]
    fetcher = _fetcher(IMPORT_MAX_PAGE_BYTES)
    try:
        page = await fetcher.get(url)
        found = extract_product(page.text(), page.url)
    except FetchError as error:
        found, problem = None, f"That address cannot be imported: {error}."
    else:
        problem = None if found else NO_PRODUCT
    finally:
        await fetcher.aclose()
    if found is None:
        html = await render_template(
            "market/manage/import_url.html", stall=stall, error=problem, url=url
        )
        return html, 422
    image = await _stored_image(found)
    return await render_form(
        stall,
        form=_prefill(found, image),
        notice="Filled in from the page: check every field before you save. "
        "Nothing is listed until you list it.",
    )


def _prefill(found: ScrapedProduct, image: str | None) -> dict[str, str]:
    price = found.price_minor
    return {
        "title": found.title,
        "slug": slugify(found.title),
        "description": found.description,
        "source_url": found.source_url,
        "image_url": image or "",
        "variant-0-name": "Standard",
        "variant-0-price": "" if price is None else f"{price // 100}.{price % 100:02d}",
        "currency": found.currency or "",
    }


async def _stored_image(found: ScrapedProduct) -> str | None:
    """The page's image, fetched through the same guard and stored like an upload."""
    if not found.image_url:
        return None
    fetcher = _fetcher(IMPORT_MAX_IMAGE_BYTES)
    platform = runtime(current_app)
    try:
        data = (await fetcher.get(found.image_url, accept="image/*")).body
        return (await store_image(platform.media, data, platform.settings.media)).src
    except (FetchError, HTTPException, ValueError):
        return None  # the product still prefills; the owner can upload a photo
    finally:
        await fetcher.aclose()

"""A product's page: `/stalls/<stall>/<product>/`, its variants to pick from and "Add to cart".

The page carries schema.org Product/Offer JSON-LD and Open Graph product tags, so
search engines and link previews read the price; every price shows its unit price.
"""

from __future__ import annotations

import json

from quart import Blueprint, abort, current_app, render_template

from market.bp.access import can_see_stall
from shared.contracts.market import ProductRecord
from shared.contracts.media import StoredImage
from shared.contracts.money import Money
from shared.infrastructure.runtime import request_session, runtime
from shared.infrastructure.viewer import current_viewer
from shared.services.federating import plain_text
from shared.services.registry import services

bp = Blueprint("products", __name__, url_prefix="/stalls")

PUBLIC = ("listed", "sold_out")


def _amount(money: Money) -> str:
    return f"{money.amount_minor // 100}.{money.amount_minor % 100:02d}"


def json_ld(product: ProductRecord, url: str, image: str | None) -> str:
    """schema.org Product with one Offer per variant, safe inside a <script> element."""
    offers = [
        {
            "@type": "Offer",
            "name": variant.name,
            "sku": variant.sku or None,
            "price": _amount(variant.price),
            "priceCurrency": variant.price.currency,
            "availability": "https://schema.org/"
            + ("InStock" if product.on_sale and variant.available else "OutOfStock"),
            "url": url,
        }
        for variant in product.variants
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": plain_text(product.description_html),
        "image": image,
        "brand": {"@type": "Brand", "name": product.stall_name},
        "offers": [{k: v for k, v in offer.items() if v is not None} for offer in offers],
    }
    text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
    # No "</script>" (or "<!--") can close the element early.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@bp.get("/<stall_slug>/<product_slug>/")
async def get_product(stall_slug: str, product_slug: str) -> str:
    """A listed or sold-out product of an approved stall; drafts only to the stall's managers."""
    session = request_session(current_app)
    stall = await services.market.get_stall(session, stall_slug)
    if stall is None or not await can_see_stall(stall):
        abort(404)
    product = await services.market.get_product(session, stall_slug, product_slug)
    if product is None:
        abort(404)
    viewer = current_viewer()
    manages = viewer is not None and (
        viewer.is_admin or await services.market.can_manage_stall(session, stall.id, viewer.id)
    )
    if product.status not in PUBLIC and not manages:
        abort(404)
    base = runtime(current_app).settings.apps["market"].base_url
    page_url = f"{base}/stalls/{stall.slug}/{product.slug}/"
    image = product.image_urls[0] if product.image_urls else None
    stored = StoredImage.from_url(image) if image else None
    if stored is not None:
        image = stored.src if stored.src.startswith("http") else base + stored.src
    return await render_template(
        "market/products/show.html",
        product=product,
        stall=stall,
        manages=manages,
        json_ld=json_ld,
        page_url=page_url,
        image_abs=image,
        amount=_amount,
    )

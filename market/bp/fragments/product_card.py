"""The product card a blog post embeds: `/internal/fragments/product-card?id=`.

Served by the market so the price and stock are today's wherever the card is
shown (a sold-out one says so); a draft, archived or unknown product is an empty
fragment (the post keeps its placeholder title).
"""

from quart import Blueprint, abort, current_app, render_template_string, request
from sqlalchemy import select

from shared.infrastructure.params import whole_number
from shared.infrastructure.runtime import request_session
from shared.models.market import Product, ProductStatus
from shared.services.market import product_summary

bp = Blueprint("product_card_fragment", __name__, url_prefix="/internal/fragments")

TEMPLATE = """{% from "macros.html" import product_card %}
<div class="embedded-card" data-fragment="product-card">
{{- product_card(product, base=apps_by_name['market'].base_url) }}</div>"""


@bp.get("/product-card")
async def get_product_card() -> str:
    product_id = whole_number(request.args.get("id"), "id")
    if product_id is None:
        abort(400, description="id names the product to show")
    product = await request_session(current_app).scalar(
        select(Product).where(
            Product.id == product_id,
            Product.status.in_((ProductStatus.LISTED, ProductStatus.SOLD_OUT)),
        )
    )
    if product is None:
        return ""
    return await render_template_string(TEMPLATE, product=product_summary(product))
